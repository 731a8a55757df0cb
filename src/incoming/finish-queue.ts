/**
 * Files of a batch still being flushed and closed while the next ones
 * arrive: the disk works while the network delivers. Bounded, so a batch
 * keeps only a few dozen files open at once; a failure is kept and reported
 * by the next `room()` or `all()`, never left as an unhandled rejection.
 */
export class FinishQueue {
  private running = 0;
  private failure: { error: unknown } | undefined;
  /** Callers of `room()` / `settle()` waiting for a file to finish. */
  private waiters: (() => void)[] = [];

  constructor(private readonly maxRunning: number) {}

  /**
   * A file starts finishing: call the function returned once it finished,
   * with its error if any (a callback, not a promise with its two reactions
   * per file: a batch finishes thousands).
   */
  begin(): (error?: unknown) => void {
    this.running += 1;
    return (error) => {
      if (error !== undefined && error !== null) this.failure ??= { error };
      this.running -= 1;
      const waiters = this.waiters;
      if (waiters.length === 0) return;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
  }

  /** True when another file may start now; throws a failure seen so far. Lets a caller skip `room()`'s promise when nothing is to wait for. */
  hasRoom(): boolean {
    this.throwIfFailed();
    return this.running < this.maxRunning;
  }

  /** Waits until another file may start; throws a failure seen so far. */
  async room(): Promise<void> {
    while (this.running >= this.maxRunning) await this.next();
    this.throwIfFailed();
  }

  /** Waits for every file; throws the first failure. */
  async all(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every file, whatever happened: before cleaning up after an error. */
  async settle(): Promise<void> {
    while (this.running > 0) await this.next();
  }

  private next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
