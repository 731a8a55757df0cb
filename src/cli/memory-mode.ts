import v8 from 'node:v8';
import type { Config } from '../config/config.js';

/**
 * The V8 flags of `lean`, set at run time (so wherever the server runs: the
 * `anemone` script, the systemd unit, the container), each read by V8's
 * heuristics as it goes:
 *
 * - `--optimize-for-size`: a young generation that does not grow and
 *   collections that give memory back. Measured with `npm run bench` on the
 *   2-core machines: peaks during syncs a third lower (4 x 512 MiB: 163/113 MB
 *   instead of 194/160 on sender/receiver; 25,000 small files: 268/140
 *   instead of 324/217).
 * - `--heap-growing-percent=200`: on its own, optimize-for-size lets the old
 *   generation grow by only a few percent past what the last full collection
 *   kept, and a sender sealing a large file (a fresh 1 MiB ciphertext buffer
 *   per chunk, from `cipher.update`, which cannot write into a reused one)
 *   then ran a full mark-compact every few dozen MiB: nearly half of its CPU
 *   per byte, mostly in the collector's helper threads. With the old
 *   generation allowed to triple between full collections those stop, while
 *   the young generation stays small and the peaks stay where they were
 *   (bench/README.md, "What each change bought").
 *
 * A family's backup box is short of memory long before it is short of CPU;
 * `fast` leaves V8's defaults.
 */
export const LEAN_V8_FLAGS: readonly string[] = ['--optimize-for-size', '--heap-growing-percent=200'];

/** Set before the server starts, while the heap is still small. */
export function applyMemoryMode(mode: Config['memory']): void {
  if (mode === 'lean') for (const flag of LEAN_V8_FLAGS) v8.setFlagsFromString(flag);
}
