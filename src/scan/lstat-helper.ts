import { lstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * A second thread that `lstat`s a folder's files beside the walk's own
 * thread (issue 15). In a walk of 200,000 files `lstat` is over half of the
 * walk's time on the event loop; a sender has a core to spare for it. Both
 * threads take the batch's entries one at a time from a shared counter, so
 * neither waits on the other's share of a slow disk, and the walk applies
 * the results in the batch's order: the walk finds the same entries in the
 * same order as without the helper.
 *
 * The counter holds the batch's number (GEN_BITS) above the next entry's
 * index (INDEX_BITS): a message that reaches the thread after its batch was
 * done takes nothing from the next one.
 */
export const MAX_BATCH = 1024;
const INDEX_BITS = 11;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
/** 2^19 batches before the number wraps: far more than a message can lag behind. */
const GEN_MASK = (1 << 19) - 1;
/** Slots of the control array: the counter, and how many of the batch's entries are done. */
const CLAIM = 0;
const DONE = 1;
/** Per entry in `values`: mode, size, mtimeMs, ino; a mode of -1 says the helper's lstat failed. */
const FIELDS = 4;
export const HELPER_FAILED = -1;
/**
 * A helper that left a claimed entry unfinished this long is taken for stuck:
 * the walk states those entries itself and goes on alone.
 */
const STALLED_MS = 30_000;

/** Plain JavaScript with no import of ours: it runs as is under the sources (tests) and dist/. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { lstatSync } = require('node:fs');
const control = new Int32Array(workerData.control);
const values = new Float64Array(workerData.values);
parentPort.on('message', ({ gen, paths }) => {
  const count = paths.length;
  for (;;) {
    const word = Atomics.load(control, ${CLAIM});
    const index = word & ${INDEX_MASK};
    if (word >>> ${INDEX_BITS} !== gen || index >= count) return;
    if (Atomics.compareExchange(control, ${CLAIM}, word, word + 1) !== word) continue;
    const at = index * ${FIELDS};
    try {
      const stats = lstatSync(paths[index]);
      values[at] = stats.mode;
      values[at + 1] = stats.size;
      values[at + 2] = stats.mtimeMs;
      values[at + 3] = stats.ino;
    } catch {
      values[at] = ${HELPER_FAILED};
    }
    Atomics.add(control, ${DONE}, 1);
    Atomics.notify(control, ${DONE});
  }
});
`;

/** What `statBatch` did: entries 0..stated-1 have their values (or an error); the rest were not stated. */
export interface BatchResult {
  stated: number;
  /** one of the walk's own calls was slower than the limit: the batch stopped there */
  slowCall: boolean;
}

export class LstatHelper {
  private readonly control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  /** Each entry's mode, size, mtimeMs and ino, by its index in the batch (valid until the next batch). */
  readonly values = new Float64Array(new SharedArrayBuffer(MAX_BATCH * FIELDS * Float64Array.BYTES_PER_ELEMENT));
  /** The walk's own failed calls, by index in the batch (valid until the next batch). */
  readonly errors: (NodeJS.ErrnoException | undefined)[] = [];
  /** 1 for each entry of the batch the walk's own thread stated */
  private readonly own = new Uint8Array(MAX_BATCH);
  private readonly worker: Worker;
  private gen = 0;
  /** Resolves once the thread runs (tests: a batch before it may be stated by the walk alone). */
  readonly online: Promise<void>;
  /** false once the helper stopped answering: the walk goes on without it */
  usable = true;
  /** entries the helper thread stated, over every batch */
  statedByHelper = 0;

  constructor() {
    // no --import tsx or test flags: the worker's program is plain JavaScript; its heap holds one batch's
    // paths at most, and a small young generation keeps the thread at ~17 MB instead of ~20
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], name: 'walk-lstat', resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 }, workerData: { control: this.control.buffer, values: this.values.buffer } });
    // it never keeps a process alive; an error in it (it catches every lstat's) only leaves the walk to do the work alone
    this.worker.unref();
    this.worker.on('error', () => undefined);
    this.online = new Promise((resolve) => this.worker.once('online', () => resolve()));
  }

  /**
   * lstats `paths` (at most MAX_BATCH), the helper taking entries as the
   * walk's thread does. Stops at the first of the walk's own calls slower
   * than `slowCallMs` and waits for the helper's calls in flight.
   */
  statBatch(paths: readonly string[], slowCallMs: number): BatchResult {
    const count = paths.length;
    if (count > MAX_BATCH) throw new RangeError(`a batch holds at most ${MAX_BATCH} entries`);
    const control = this.control;
    const values = this.values;
    this.errors.length = 0;
    this.own.fill(0, 0, count);
    this.gen = (this.gen + 1) & GEN_MASK;
    const base = this.gen << INDEX_BITS;
    Atomics.store(control, DONE, 0);
    Atomics.store(control, CLAIM, base);
    this.worker.postMessage({ gen: this.gen, paths });
    let slowCall = false;
    let claimed = count;
    let statedHere = 0;
    for (;;) {
      const word = Atomics.load(control, CLAIM);
      const index = word & INDEX_MASK;
      if (index >= count) break;
      if (Atomics.compareExchange(control, CLAIM, word, word + 1) !== word) continue;
      const at = index * FIELDS;
      this.own[index] = 1;
      statedHere += 1;
      const startedAt = performance.now();
      try {
        const stats = lstatSync(paths[index] as string);
        values[at] = stats.mode;
        values[at + 1] = stats.size;
        values[at + 2] = stats.mtimeMs;
        values[at + 3] = stats.ino;
      } catch (error) {
        this.errors[index] = error as NodeJS.ErrnoException;
      }
      Atomics.add(control, DONE, 1);
      if (performance.now() - startedAt > slowCallMs) {
        slowCall = true;
        claimed = this.closeBatch(base, count);
        break;
      }
    }
    this.waitForDone(claimed);
    this.statedByHelper += claimed - statedHere;
    return { stated: claimed, slowCall };
  }

  /** Stops the helper from taking more of this batch; returns how many entries were taken by then. */
  private closeBatch(base: number, count: number): number {
    for (;;) {
      const word = Atomics.load(this.control, CLAIM);
      if (Atomics.compareExchange(this.control, CLAIM, word, base | count) === word) return Math.min(word & INDEX_MASK, count);
    }
  }

  private waitForDone(claimed: number): void {
    let done = Atomics.load(this.control, DONE);
    let lastProgressAt = performance.now();
    while (done < claimed) {
      Atomics.wait(this.control, DONE, done, 100);
      const now = Atomics.load(this.control, DONE);
      if (now !== done) lastProgressAt = performance.now();
      else if (performance.now() - lastProgressAt > STALLED_MS) return this.giveUp(claimed);
      done = now;
    }
  }

  /** The helper's unfinished entries are marked failed (the walk states them itself), and it is used no more. */
  private giveUp(claimed: number): void {
    this.usable = false;
    for (let index = 0; index < claimed; index += 1) if (this.own[index] === 0) this.values[index * FIELDS] = HELPER_FAILED;
    this.close();
  }

  close(): void {
    this.worker.terminate().catch(() => undefined);
  }
}
