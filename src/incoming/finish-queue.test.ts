import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FinishQueue } from './finish-queue.js';

describe('FinishQueue', () => {
  it('has room until as many files as allowed are finishing, and again once one finished', async () => {
    const queue = new FinishQueue(2);
    const finishFirst = queue.begin();
    assert.equal(queue.hasRoom(), true);
    queue.begin();
    assert.equal(queue.hasRoom(), false);
    finishFirst();
    await queue.room();
    assert.equal(queue.hasRoom(), true);
  });

  it('throws a failure seen so far from hasRoom, as from room', async () => {
    const queue = new FinishQueue(4);
    const disk = new Error('disk full');
    queue.begin()(disk);
    await queue.settle();
    assert.throws(() => queue.hasRoom(), disk);
    await assert.rejects(queue.room(), disk);
  });
});
