import v8 from 'node:v8';
import type { Config } from '../config/config.js';
import { enableHeapGrowthDuringTransfers } from '../util/heap-growth.js';
import { enableYoungCollections } from '../util/young-collections.js';

/**
 * `lean` turns on V8's optimize-for-size for the server's lifetime: a smaller
 * young generation and slower heap growth. Measured with `npm run bench` on
 * the 2-core machines: peaks during syncs a third lower (4 x 512 MiB: 163/113
 * MB instead of 194/160 on sender/receiver; 25,000 small files: 268/140
 * instead of 324/217), for about a quarter less throughput when the CPU is
 * what limits (188 instead of 253 MB/s) — still above a gigabit link. A
 * family's backup box is short of memory long before it is short of CPU.
 *
 * The slower heap growth is what costs a sender of large files: each sealed
 * chunk is a fresh 1 MiB buffer, and V8 runs a full collection every few dozen
 * MiB of them (nearly half the sender's CPU per byte). Letting the old
 * generation grow more (`--heap-growing-percent=200`) halved the sender's CPU
 * per byte with the same peaks on large files, but raised the small-file
 * set's peaks by 30–80 MB, so lean raises it only while a large file is being
 * sent or received (src/util/heap-growth.ts; bench/README.md). A receiver
 * also runs a young collection every 8 MiB of upload received, so the HTTP
 * parser's dead pieces do not pile up to V8's own 32 MiB bound
 * (src/util/young-collections.ts).
 *
 * Set before the server starts, while the heap is still small: V8 reads
 * this flag in its heap-growth heuristics as it goes.
 */
export const LEAN_V8_FLAGS: readonly string[] = ['--optimize-for-size'];

export function applyMemoryMode(mode: Config['memory']): void {
  if (mode !== 'lean') return;
  for (const flag of LEAN_V8_FLAGS) v8.setFlagsFromString(flag);
  enableHeapGrowthDuringTransfers();
  enableYoungCollections();
}
