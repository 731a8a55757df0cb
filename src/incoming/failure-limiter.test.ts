import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureLimiter } from './failure-limiter.js';

describe('FailureLimiter', () => {
  const minute = 60_000;

  it('lets four failures through and blocks after the fifth, until the oldest leaves the window', () => {
    let now = 0;
    const limiter = new FailureLimiter({ now: () => now });
    for (let failure = 0; failure < 5; failure++) {
      assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 0);
      limiter.recordFailure('10.0.0.1');
      now += minute;
    }
    // failures at 0..4 min; now 5 min: the first leaves the window at 15 min
    assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 10 * 60);
    now = 15 * minute - 1;
    assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 1);
    now = 15 * minute;
    assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 0);
    limiter.recordFailure('10.0.0.1');
    // failures at 1, 2, 3, 4 and 15 min: blocked until 16 min
    assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 60);
  });

  it('counts each address on its own; a success resets only its own address', () => {
    const now = 0;
    const limiter = new FailureLimiter({ now: () => now });
    for (let failure = 0; failure < 5; failure++) limiter.recordFailure('10.0.0.1');
    for (let failure = 0; failure < 4; failure++) limiter.recordFailure('10.0.0.2');
    assert.ok(limiter.retryAfterSeconds('10.0.0.1') > 0);
    assert.equal(limiter.retryAfterSeconds('10.0.0.2'), 0);
    assert.equal(limiter.retryAfterSeconds('10.0.0.3'), 0);
    limiter.reset('10.0.0.2');
    assert.ok(limiter.retryAfterSeconds('10.0.0.1') > 0, 'another address succeeding does not unblock this one');
    limiter.recordFailure('10.0.0.2');
    assert.equal(limiter.retryAfterSeconds('10.0.0.2'), 0, 'its earlier failures were forgotten');
  });

  it('forgets the stalest addresses beyond its size bound', () => {
    const limiter = new FailureLimiter({ maxAddresses: 3, maxFailures: 1, now: () => 0 });
    for (const address of ['a', 'b', 'c', 'd']) limiter.recordFailure(address);
    assert.equal(limiter.retryAfterSeconds('a'), 0);
    assert.ok(limiter.retryAfterSeconds('d') > 0);
  });
});
