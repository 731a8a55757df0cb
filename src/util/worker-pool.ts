/** What each task of a pool receives besides its item. */
export interface PoolTask<R> {
  /** Aborted when a sibling failed or the outer signal aborted: a task that waits on I/O should pass it on. */
  signal: AbortSignal;
  /** The resource of the worker running the task (a read buffer reused file after file). */
  resource: R;
}

export interface WorkerPoolOptions<R> {
  /** At most this many tasks at once (at least one). */
  concurrency: number;
  /** Stops the pool: no item is handed out after it aborts, and the pool rejects with its reason. */
  signal?: AbortSignal | undefined;
  /** Makes one worker's resource, once per worker; only as many workers as items are started. */
  resource?: () => R;
}

/**
 * Runs `work` on every item in the list's order, at most `concurrency` at
 * once. The first failure stops the pool: no further item is handed out, the
 * siblings' signal aborts, and once every task in flight has settled (so
 * nothing still runs when the caller cleans up) that first failure is
 * rethrown. An outer signal that aborts stops it the same way, with its reason.
 *
 * @example
 * await runWorkerPool(files, async (file, { signal, resource: buffer }) => hash(file, buffer, signal), {
 *   concurrency: 4,
 *   resource: () => Buffer.allocUnsafe(1 << 20),
 * });
 */
export async function runWorkerPool<T, R = undefined>(
  items: readonly T[],
  work: (item: T, task: PoolTask<R>) => Promise<void>,
  options: WorkerPoolOptions<R>,
): Promise<void> {
  const outer = options.signal;
  outer?.throwIfAborted();
  if (items.length === 0) return;
  const siblings = new AbortController();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    siblings.abort(failure.error);
  };
  const onOuterAbort = () => fail(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });

  let next = 0;
  const worker = async (): Promise<void> => {
    let resource: R;
    try {
      resource = options.resource ? options.resource() : (undefined as R);
    } catch (error) {
      fail(error);
      return;
    }
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item, { signal: siblings.signal, resource });
      } catch (error) {
        fail(error);
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, items.length));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
  if (failure !== undefined) throw failure.error;
}
