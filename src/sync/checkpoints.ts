/**
 * Intermediate manifests during a run, so an interrupted sync resumes
 * without sending again what arrived: one every `intervalMs` while files
 * arrived since the last one — also while a large file streams and nothing
 * else arrives — and one as soon as `maxBytes` arrived. One at a time.
 *
 * A failed checkpoint (the peer's disk full, say) fails the run: the next
 * `arrived` or `stop` throws it.
 */
export class Checkpoints {
  private filesSince = 0;
  private bytesSince = 0;
  private writing: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  private readonly maxBytes: number;
  private readonly signal: AbortSignal;

  constructor(
    private readonly write: () => Promise<void>,
    options: { intervalMs: number; maxBytes: number; signal: AbortSignal },
  ) {
    this.maxBytes = options.maxBytes;
    this.signal = options.signal;
    this.timer = setInterval(() => this.checkpoint(), options.intervalMs);
    // a sync stopped by the process's end must not keep it alive
    this.timer.unref();
  }

  /** A file arrived at the peer (its batch or upload was acknowledged). */
  arrived(ciphertextBytes: number): void {
    this.throwIfFailed();
    this.filesSince += 1;
    this.bytesSince += ciphertextBytes;
    if (this.bytesSince >= this.maxBytes) this.checkpoint();
  }

  /** Ends the timer and waits for a checkpoint on its way; throws a failure seen so far. Call before the final manifest. */
  async stop(): Promise<void> {
    // a worker still finishing after a failure must not start one either
    this.stopped = true;
    clearInterval(this.timer);
    await this.writing;
    this.throwIfFailed();
  }

  private checkpoint(): void {
    if (this.stopped || this.writing || this.filesSince === 0 || this.failure || this.signal.aborted) return;
    this.filesSince = 0;
    this.bytesSince = 0;
    this.writing = this.write()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.writing = undefined;
      });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
