import { PerformanceObserver, constants } from 'node:perf_hooks';

type GcDetail = { kind: number; flags: number };

/**
 * Counts the collections a test forced (`gc()`), from V8's 'gc' entries: young ones, or full ones where V8 turned
 * the asked-for young collection into one (it does while its incremental marking runs, as on a busy machine);
 * either frees what a young collection would.
 */
export class ForcedCollections {
  private readonly seen: GcDetail[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.seen.push((entry as unknown as { detail: GcDetail }).detail);
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** The forced collections whose entries arrived so far; call `delivered()` first. */
  get count(): number {
    return this.seen.filter((gc) => (gc.kind === constants.NODE_PERFORMANCE_GC_MINOR || gc.kind === constants.NODE_PERFORMANCE_GC_MAJOR) && (gc.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0).length;
  }

  /**
   * Waits until the entries of collections already run have reached the observer: each comes through two
   * immediates (Node's, then the observer's dispatch), which a timer alone can outrun when the test's work took
   * longer than the timer (a busy CI).
   */
  async delivered(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  }

  stop(): void {
    this.observer.disconnect();
  }
}
