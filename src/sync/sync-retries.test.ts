import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualTimers } from '../../test/helpers/manual-timers.js';
import { isRetryable, SyncRetries } from './sync-retries.js';

describe('sync retries', () => {
  it('retries what can go away by itself, not what needs a person', () => {
    for (const code of ['PEER_CONNECTION_REFUSED', 'PEER_UNREACHABLE', 'PEER_TIMEOUT', 'PEER_CONNECTION_LOST', 'PEER_STORAGE_UNAVAILABLE', 'SYNC_TIMEOUT']) assert.ok(isRetryable(code), code);
    for (const code of ['PEER_UNAUTHORIZED', 'PEER_FORBIDDEN', 'PEER_CERTIFICATE_CHANGED', 'PEER_NOT_PINNED', 'MASS_DELETION_GUARD', 'RANSOMWARE_TRIPWIRE', 'UPLOAD_PAUSED', 'SYNC_INTERRUPTED', 'SHARE_MISSING', 'INSUFFICIENT_STORAGE', 'INTERNAL']) {
      assert.ok(!isRetryable(code), code);
    }
  });

  it('keeps one pending retry per share and peer, waits by attempt, and none after the last', () => {
    const timers = new ManualTimers();
    const retries = new SyncRetries({ delaysMs: [5, 15, 60], timers });
    const ran: string[] = [];
    assert.ok(retries.schedule(1, 9, 1, () => ran.push('first')));
    assert.ok(retries.schedule(1, 9, 2, () => ran.push('second')));
    assert.deepEqual(timers.pending, [15], 'the second replaced the first');
    assert.equal(retries.schedule(1, 9, 4, () => ran.push('never')), false);
    timers.fireAll();
    assert.deepEqual(ran, ['second']);
    assert.equal(retries.has(1, 9), false);
  });

  it('cancels every retry to a peer', () => {
    const timers = new ManualTimers();
    const retries = new SyncRetries({ delaysMs: [5], timers });
    retries.schedule(1, 9, 1, () => undefined);
    retries.schedule(2, 9, 1, () => undefined);
    retries.schedule(1, 8, 1, () => undefined);
    retries.cancelPeer(9);
    assert.deepEqual(timers.pending, [5]);
    assert.ok(retries.has(1, 8));
  });
});
