import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupVerdict, type VerdictInput } from './verdict.js';

const share = (user: string, lastSuccessfulSyncAt: string | null): VerdictInput['shares'][number] => ({ user, name: 'backup', lastSuccessfulSyncAt, notBackedUp: null });
const onlinePeer = { name: 'server-b', status: 'online', statusMessage: null, lastSeenAt: '2026-12-04T10:00:00.000Z' };
const healthy: VerdictInput = {
  shares: [share('alice', '2026-12-04T10:00:00.000Z'), share('bob', '2026-12-04T09:00:00.000Z')],
  readyPeers: [onlinePeer],
  failures: [],
  waiting: [],
};

describe('backupVerdict', () => {
  it('is ok when every synced share reached a peer and nothing needs attention, naming the oldest backup', () => {
    assert.deepEqual(backupVerdict(healthy), { state: 'ok', sharesTotal: 2, sharesBackedUp: 2, oldestBackupAt: '2026-12-04T09:00:00.000Z', reasons: [] });
  });

  it('says when there is nothing to back up', () => {
    assert.equal(backupVerdict({ ...healthy, shares: [] }).state, 'nothing-to-back-up');
  });

  it('needs attention for a share never backed up, and counts it out', () => {
    const verdict = backupVerdict({ ...healthy, shares: [...healthy.shares, share('carol', null)] });
    assert.equal(verdict.state, 'attention');
    assert.equal(verdict.sharesBackedUp, 2);
    assert.deepEqual(verdict.reasons.map((reason) => [reason.code, reason.message]), [['NEVER_BACKED_UP', 'carol/backup has not been backed up yet']]);
  });

  it('names an offline peer with when it was last seen, and says the backups on it are safe', () => {
    const verdict = backupVerdict({ ...healthy, readyPeers: [{ ...onlinePeer, status: 'offline', statusMessage: 'Connection refused' }] });
    const [reason] = verdict.reasons;
    assert.equal(reason?.code, 'PEER_NOT_ONLINE');
    assert.equal(reason?.message, 'server-b is offline: Connection refused');
    assert.equal(reason?.at, onlinePeer.lastSeenAt);
    assert.match(reason?.hint ?? '', /Backups already on it are safe/);
  });

  it('lists one line per share and peer for failures, the newest', () => {
    const failure = (error: string, finishedAt: string) => ({ user: 'alice', share: 'backup', peer: 'server-b', finishedAt, error, hint: 'Do this.', errorCode: 'PEER_UNAUTHORIZED' });
    const verdict = backupVerdict({ ...healthy, failures: [failure('newest', '2026-12-04T11:00:00.000Z'), failure('older', '2026-12-04T10:30:00.000Z')] });
    assert.deepEqual(verdict.reasons.map((reason) => reason.message), ['alice/backup did not sync to server-b: newest']);
  });

  it('needs attention when there is no peer to back up to', () => {
    assert.deepEqual(backupVerdict({ ...healthy, readyPeers: [] }).reasons.map((reason) => reason.code), ['NO_ENABLED_PEERS']);
  });

  it('names files a run left out', () => {
    const verdict = backupVerdict({ ...healthy, shares: [{ ...share('alice', '2026-12-04T10:00:00.000Z'), notBackedUp: { count: 2, peer: 'server-b', finishedAt: '2026-12-04T10:00:00.000Z' } }] });
    assert.deepEqual(verdict.reasons.map((reason) => reason.message), ['2 files of alice/backup were left out of the last sync to server-b']);
  });
});
