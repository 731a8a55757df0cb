/**
 * At most `count` holders at once; the others wait their turn, first come
 * first served. Beside a worker pool it bounds one stage of each task (the
 * large uploads' bodies streaming) more tightly than the pool bounds the tasks.
 */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(count: number) {
    this.free = Math.max(1, count);
  }

  /**
   * Resolves with the slot's release once one is free (calling it again does
   * nothing), or rejects with the signal's reason if it aborts first.
   */
  take(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.release());
    }
    return new Promise((resolve, reject) => {
      const granted = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.release());
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(granted), 1);
        reject(signal.reason);
      };
      this.waiting.push(granted);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): () => void {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }
}
