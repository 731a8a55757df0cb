import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { PasswordHashError } from './errors.js';
import { ScryptLane } from './scrypt-lane.js';

// small parameters: these tests are about the lane, not about the cost (password-hash.test.ts uses the real one)
const SMALL = { N: 2 ** 10, r: 8, p: 1 };
const salt = Buffer.alloc(16, 7);

describe('a scrypt lane (one worker thread)', () => {
  it('derives what crypto.scryptSync derives, in order', async () => {
    const lane = new ScryptLane({ name: 'test', maxWaiting: 8 });
    const derived = await Promise.all(['a', 'b', 'c'].map((secret) => lane.derive(secret, salt, 32, SMALL)));
    assert.deepEqual(
      derived,
      ['a', 'b', 'c'].map((secret) => scryptSync(secret, salt, 32, SMALL)),
    );
  });

  it('refuses a job at once when maxWaiting already wait, and takes jobs again after', async () => {
    const lane = new ScryptLane({ name: 'test', maxWaiting: 2 });
    // one runs, two wait: the fourth, asked in the same tick, finds the queue full
    const admitted = [lane.derive('1', salt, 32, SMALL), lane.derive('2', salt, 32, SMALL), lane.derive('3', salt, 32, SMALL)];
    await assert.rejects(lane.derive('4', salt, 32, SMALL), (error: unknown) => error instanceof PasswordHashError && error.code === 'busy');
    await Promise.all(admitted);
    assert.equal((await lane.derive('5', salt, 32, SMALL)).length, 32);
  });

  it('rejects a job scrypt refuses, and goes on with the next', async () => {
    const lane = new ScryptLane({ name: 'test', maxWaiting: 8 });
    await assert.rejects(lane.derive('x', salt, 32, { N: 2 ** 20, r: 8, p: 1, maxmem: 1024 }), /memory limit/i);
    assert.equal((await lane.derive('y', salt, 32, SMALL)).length, 32);
  });

  it('starts a new worker after an idle one exited', async () => {
    const lane = new ScryptLane({ name: 'test', maxWaiting: 8, idleExitMs: 10 });
    await lane.derive('a', salt, 32, SMALL);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await lane.derive('a', salt, 32, SMALL), scryptSync('a', salt, 32, SMALL));
  });

  it('runs the jobs of every queue on its one worker, never two at once, the queues taking turns', async () => {
    const done: { queue: string; startedNs: bigint; endedNs: bigint }[] = [];
    const lane = new ScryptLane({ name: 'test', maxWaiting: 8, onDerived: (job) => done.push(job) });
    // sign-ins asked first, then a peer's check, all in one tick: as a setup's or a sign-in's hash while a peer opens a session
    const derived = await Promise.all([
      lane.derive('a1', salt, 32, SMALL, 'accounts'),
      lane.derive('a2', salt, 32, SMALL, 'accounts'),
      lane.derive('a3', salt, 32, SMALL, 'accounts'),
      lane.derive('p1', salt, 32, SMALL, 'peers'),
      lane.derive('p2', salt, 32, SMALL, 'peers'),
    ]);
    assert.deepEqual(derived[3], scryptSync('p1', salt, 32, SMALL));
    // the peer's check waits for one sign-in, not for all of them
    assert.deepEqual(
      done.map((job) => job.queue),
      ['accounts', 'peers', 'accounts', 'peers', 'accounts'],
    );
    for (let i = 1; i < done.length; i += 1) {
      const [before, after] = [done[i - 1], done[i]] as [(typeof done)[0], (typeof done)[0]];
      assert.ok(after.startedNs >= before.endedNs, `derivation ${i} started ${before.endedNs - after.startedNs} ns before derivation ${i - 1} ended`);
    }
  });

  it('bounds the waiting jobs of each queue on its own: a full queue does not refuse another', async () => {
    const lane = new ScryptLane({ name: 'test', maxWaiting: 1 });
    const admitted = [lane.derive('1', salt, 32, SMALL, 'accounts'), lane.derive('2', salt, 32, SMALL, 'accounts')];
    await assert.rejects(lane.derive('3', salt, 32, SMALL, 'accounts'), (error: unknown) => error instanceof PasswordHashError && error.code === 'busy' && /\(accounts\)/.test(error.message));
    admitted.push(lane.derive('4', salt, 32, SMALL, 'peers'));
    await assert.rejects(lane.derive('5', salt, 32, SMALL, 'peers'), (error: unknown) => error instanceof PasswordHashError && error.code === 'busy' && /\(peers\)/.test(error.message));
    assert.equal((await Promise.all(admitted)).length, 3);
  });
});
