/**
 * Runs async work one piece at a time, in order. Deriving a kit key takes
 * 128 MiB of memory for scrypt (N = 2^17, r = 8): requests arriving together
 * wait their turn rather than add up.
 */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
