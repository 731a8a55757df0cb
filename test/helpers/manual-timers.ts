/** setTimeout and clearTimeout that fire only when a test says so (the scheduler's slot, a sync retry). */
export class ManualTimers {
  private readonly armed = new Map<number, { callback: () => void; ms: number }>();
  private nextId = 1;

  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.armed.set(id, { callback, ms });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.armed.delete(handle as number);
  };

  /** The waits of the timers armed now, in the order they were armed. */
  get pending(): number[] {
    return [...this.armed.values()].map((timer) => timer.ms);
  }

  /** Fires every timer armed now (not those the callbacks arm). */
  fireAll(): void {
    const due = [...this.armed.entries()];
    for (const [id] of due) this.armed.delete(id);
    for (const [, timer] of due) timer.callback();
  }
}
