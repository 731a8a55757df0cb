import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Slots } from './slots.js';

describe('Slots', () => {
  it('hands out `count` slots at once, the next ones in turn as they are released, each release counted once', async () => {
    const slots = new Slots(2);
    const never = new AbortController().signal;
    const first = await slots.take(never);
    await slots.take(never);
    const order: string[] = [];
    const third = slots.take(never).then((release) => (order.push('third'), release));
    const fourth = slots.take(never).then((release) => (order.push('fourth'), release));
    await nextTurn();
    assert.deepEqual(order, []);
    first();
    first();
    await nextTurn();
    assert.deepEqual(order, ['third']);
    (await third)();
    await fourth;
    assert.deepEqual(order, ['third', 'fourth']);
  });

  it('a wait that aborts rejects with the reason and leaves its turn to the next one', async () => {
    const slots = new Slots(1);
    const release = await slots.take(new AbortController().signal);
    const stopped = new AbortController();
    const reason = new Error('stopped');
    const waiting = slots.take(stopped.signal);
    const next = slots.take(new AbortController().signal);
    stopped.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    release();
    await next;
    await assert.rejects(slots.take(stopped.signal), (error) => error === reason);
  });
});
