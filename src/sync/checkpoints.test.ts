import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Checkpoints } from './checkpoints.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Checkpoints', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('writes one every interval while files arrived, none when nothing did', async () => {
    let written = 0;
    const checkpoints = new Checkpoints(async () => void (written += 1), { intervalMs: 5000, maxBytes: 1000, signal: new AbortController().signal });
    mock.timers.tick(5000);
    assert.equal(written, 0, 'nothing arrived yet');
    checkpoints.arrived(10);
    mock.timers.tick(4999);
    assert.equal(written, 0);
    mock.timers.tick(1);
    await settle();
    assert.equal(written, 1, 'a timer, not the next arrival, writes it (a large file may still be streaming)');
    mock.timers.tick(5000);
    await settle();
    assert.equal(written, 1, 'nothing new arrived');
    await checkpoints.stop();
    checkpoints.arrived(10_000);
    mock.timers.tick(5000);
    assert.equal(written, 1, 'none after stop, not even past maxBytes');
  });

  it('writes at once past maxBytes, one at a time, and stop waits for it', async () => {
    let finish: () => void = () => undefined;
    let started = 0;
    const checkpoints = new Checkpoints(
      () => {
        started += 1;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      { intervalMs: 5000, maxBytes: 100, signal: new AbortController().signal },
    );
    checkpoints.arrived(100);
    assert.equal(started, 1);
    checkpoints.arrived(100);
    mock.timers.tick(5000);
    assert.equal(started, 1, 'never two at once');
    let stopped = false;
    const stopping = checkpoints.stop().then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false, 'stop waits for the checkpoint on its way');
    finish();
    await stopping;
  });

  it('fails the run when a checkpoint failed', async () => {
    const checkpoints = new Checkpoints(() => Promise.reject(new Error('507')), { intervalMs: 5000, maxBytes: 1, signal: new AbortController().signal });
    checkpoints.arrived(1);
    await settle();
    assert.throws(() => checkpoints.arrived(1), /507/);
    await assert.rejects(checkpoints.stop(), /507/);
  });
});
