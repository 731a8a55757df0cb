import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYNC_SESSION_LIFETIME_MS, SyncSessions } from './sync-sessions.js';

describe('SyncSessions', () => {
  it('knows a token only from the certificate that opened it, and only for an hour', () => {
    let now = 1_000;
    const sessions = new SyncSessions(() => now);
    const { token, expiresAt } = sessions.open('server-b', 'AA:BB');
    assert.equal(expiresAt.getTime(), 1_000 + SYNC_SESSION_LIFETIME_MS);
    assert.equal(sessions.sourceFor(token, 'AA:BB'), 'server-b');
    assert.equal(sessions.sourceFor(token, 'CC:DD'), undefined);
    assert.equal(sessions.sourceFor(`${token}x`, 'AA:BB'), undefined);
    now += SYNC_SESSION_LIFETIME_MS;
    assert.equal(sessions.sourceFor(token, 'AA:BB'), undefined);
  });

  it('ends every session of a source whose certificate changed', () => {
    const sessions = new SyncSessions();
    const first = sessions.open('server-b', 'AA');
    const other = sessions.open('server-c', 'BB');
    sessions.endForSource('server-b');
    assert.equal(sessions.sourceFor(first.token, 'AA'), undefined);
    assert.equal(sessions.sourceFor(other.token, 'BB'), 'server-c');
  });
});
