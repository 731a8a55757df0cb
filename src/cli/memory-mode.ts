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
 * this flag in its heap-growth heuristics as it goes. Newer V8 (Node 24)
 * sizes its heap from it when the process starts, so there the flags must be
 * on node's command line: see restartForLeanMemory.
 */
export const LEAN_V8_FLAGS: readonly string[] = ['--optimize-for-size'];

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * The command line that starts this process again with the lean flags, or
 * undefined where it already has them (or the mode is fast): node's own
 * options first, then the script and its arguments, unchanged.
 */
export function leanCommandLine(mode: Config['memory'], execPath: string, execArgv: readonly string[], argv: readonly string[]): string[] | undefined {
  if (mode !== 'lean') return undefined;
  const missing = LEAN_V8_FLAGS.filter((flag) => !execArgv.includes(flag));
  if (missing.length === 0) return undefined;
  return [execPath, ...missing, ...execArgv, ...argv.slice(1)];
}

/**
 * Replaces a lean server started without the flags by the same command with
 * them (`process.execve`: the same pid, arguments and environment), before it
 * opens anything. On Node 24 the flag set at run time saves little of what
 * it saves given at start: idle 131–133 MB against 110–111, the sender's
 * peak on 20,000 small files ~226 against ~186, for the same CPU
 * (bench/README.md, "Warm servers against fresh ones" and "The lean flag on
 * node's command line"). Node 20 has no execve, and there the
 * flag set at run time does its work (given at start it cost the receiver
 * ~25 µs a small file), so Node 20 keeps setting it in applyMemoryMode.
 * The new process finds the flags in its execArgv and goes on: no loop.
 */
export function restartForLeanMemory(mode: Config['memory']): void {
  const execve = (process as { execve?: Execve }).execve;
  if (typeof execve !== 'function') return;
  const commandLine = leanCommandLine(mode, process.execPath, process.execArgv, process.argv);
  if (commandLine) execve.call(process, process.execPath, commandLine, process.env);
}

export function applyMemoryMode(mode: Config['memory']): void {
  if (mode !== 'lean') return;
  for (const flag of LEAN_V8_FLAGS) v8.setFlagsFromString(flag);
  enableHeapGrowthDuringTransfers();
  enableYoungCollections();
}
