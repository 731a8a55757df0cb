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
});
