import v8 from 'node:v8';

/**
 * Lets V8's heap grow more while a large file is being sent or received, in
 * the lean memory mode only.
 *
 * Under `--optimize-for-size` V8 lets the old generation grow only a few
 * percent past what the last full collection kept. A large file's transfer
 * makes a megabyte of short-lived buffers per megabyte (the sealed chunks on
 * the sender, the TLS reads on the receiver), and that churn set off a full
 * mark-compact of the whole heap every few dozen MiB: about half the sender's
 * CPU per byte. `--heap-growing-percent=200` for the whole life of the
 * server stopped those collections but raised the small-file set's peaks by
 * 30–80 MB (bench/README.md), so it is raised only while a large transfer
 * runs, when the heap is what the transfer churns, and set back to V8's own
 * heuristics (0, its default) as soon as none runs.
 *
 * A V8 flag belongs to the whole process, so the count of transfers running
 * does too: with several servers in one process (the tests) the flag stays
 * raised while any of them moves a large file. Off (every call a no-op)
 * until `enable` — the lean mode, from src/cli/memory-mode.ts.
 */
export const RAISED_HEAP_GROWTH_FLAG = '--heap-growing-percent=200';
const DEFAULT_HEAP_GROWTH_FLAG = '--heap-growing-percent=0';

let enabled = false;
let running = 0;

/** Turns the raise on for this process (the lean mode; `fast` keeps V8's defaults, which already grow freely). */
export function enableHeapGrowthDuringTransfers(): void {
  enabled = true;
}

/**
 * Marks a large transfer as running; the returned function marks it done
 * (calling it again does nothing). The flag is raised while at least one runs.
 */
export function largeTransferStarted(): () => void {
  if (!enabled) return () => undefined;
  if (running++ === 0) v8.setFlagsFromString(RAISED_HEAP_GROWTH_FLAG);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--running === 0) v8.setFlagsFromString(DEFAULT_HEAP_GROWTH_FLAG);
  };
}

/** `work`, counted as a large transfer until it settles. */
export async function duringLargeTransfer<T>(work: () => Promise<T>): Promise<T> {
  const done = largeTransferStarted();
  try {
    return await work();
  } finally {
    done();
  }
}

/** Large transfers running now (the tests). */
export function largeTransfersRunning(): number {
  return running;
}
