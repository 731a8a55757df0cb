import v8 from 'node:v8';
import type { Config } from '../config/config.js';

/**
 * `lean` turns on V8's optimize-for-size for the server's lifetime: a smaller
 * young generation and slower heap growth. Measured with `npm run bench` on
 * the 2-core machines: peaks during syncs a third lower (4 x 512 MiB: 163/113
 * MB instead of 194/160 on sender/receiver; 25,000 small files: 268/140
 * instead of 324/217), for about a quarter less throughput when the CPU is
 * what limits (188 instead of 253 MB/s) — still above a gigabit link. A
 * family's backup box is short of memory long before it is short of CPU.
 *
 * Set before the server starts, while the heap is still small: V8 reads
 * this flag in its heap-growth heuristics as it goes.
 */
export function applyMemoryMode(mode: Config['memory']): void {
  if (mode === 'lean') v8.setFlagsFromString('--optimize-for-size');
}
