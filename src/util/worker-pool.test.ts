import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { runWorkerPool } from './worker-pool.js';

/** A promise with its resolve, so a test decides when a task ends. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('runWorkerPool', () => {
  it('runs every item once, in order, with no more than N at once', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    await runWorkerPool(
      Array.from({ length: 20 }, (_, index) => index),
      async (item) => {
        started.push(item);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await nextTurn();
        inFlight -= 1;
      },
      { concurrency: 3 },
    );
    assert.deepEqual(started, Array.from({ length: 20 }, (_, index) => index));
    assert.equal(most, 3);
  });

  it('does nothing with an empty list, and makes no resource', async () => {
    let resources = 0;
    await runWorkerPool([], async () => assert.fail('no item to work on'), {
      concurrency: 4,
      resource: () => {
        resources += 1;
        return Buffer.alloc(1);
      },
    });
    assert.equal(resources, 0);
  });

  it('rethrows the first failure, hands out no further item, and aborts the siblings', async () => {
    const sibling = gate();
    const started: string[] = [];
    let siblingSawAbort: unknown;
    const first = new Error('first');
    const run = runWorkerPool(
      ['slow', 'fails', 'fails too', 'never'],
      async (item, { signal }) => {
        started.push(item);
        if (item === 'slow') {
          await sibling.promise;
          siblingSawAbort = signal.aborted ? signal.reason : undefined;
          return;
        }
        await nextTurn();
        throw item === 'fails' ? first : new Error('second');
      },
      { concurrency: 2 },
    );
    // the pool waits for the sibling still in flight before it rejects
    let settled = false;
    run.catch(() => undefined).finally(() => (settled = true));
    await nextTurn();
    await nextTurn();
    assert.equal(settled, false);
    sibling.open();
    await assert.rejects(run, (error) => error === first);
    assert.equal(siblingSawAbort, first);
    assert.deepEqual(started, ['slow', 'fails']);
  });

  it('gives each worker its own resource, reused for every item it works on', async () => {
    const seen = new Map<number, Set<string>>();
    let made = 0;
    await runWorkerPool(
      ['a', 'b', 'c', 'd', 'e', 'f'],
      async (item, { resource }) => {
        const items = seen.get(resource.id) ?? new Set<string>();
        items.add(item);
        seen.set(resource.id, items);
        await nextTurn();
      },
      { concurrency: 2, resource: () => ({ id: made++ }) },
    );
    assert.equal(made, 2);
    assert.equal([...seen.values()].reduce((sum, items) => sum + items.size, 0), 6);
  });

  it('stops at the outer signal with its reason, and passes the abort to the tasks in flight', async () => {
    const controller = new AbortController();
    const reason = new Error('stopped by the caller');
    const started: number[] = [];
    let taskSaw: unknown;
    const run = runWorkerPool(
      [1, 2, 3, 4],
      async (item, { signal }) => {
        started.push(item);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        taskSaw = signal.reason;
      },
      { concurrency: 1, signal: controller.signal },
    );
    await nextTurn();
    controller.abort(reason);
    await assert.rejects(run, (error) => error === reason);
    assert.equal(taskSaw, reason);
    assert.deepEqual(started, [1]);
  });

  it('starts nothing when the outer signal aborted already', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await assert.rejects(
      runWorkerPool([1], async () => assert.fail('started'), { concurrency: 1, signal: controller.signal }),
      /too late/,
    );
  });
});
