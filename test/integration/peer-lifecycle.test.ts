import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openDatabaseReadOnly } from '../../src/db/database.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import { startTestServer, type ApiClient } from '../helpers/test-server.js';

const KIB = 1024;

/** Starts Sync now and waits until the run to `peerName` is running and has sent its first bytes. */
async function startSlowSync(admin: ApiClient, client: ApiClient, shareId: number, peerName: string): Promise<number> {
  const started = await client.post(`/api/shares/${shareId}/sync`);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const run = started.body.started.find((entry: { peerName: string }) => entry.peerName === peerName);
  assert.ok(run, JSON.stringify(started.body));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const running = (await admin.get('/api/admin/sync/running')).body.running as { logId: number; phase: string }[];
    if (running.some((entry) => entry.logId === run.logId && entry.phase === 'uploading')) return run.logId as number;
    assert.ok(Date.now() < deadline, 'the slow sync reached its upload');
    await delay(50);
  }
}

describe('peers and users that come and go while syncs run, between real servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let peerB: number;
  let unconfirmedPeer: number;

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(aliceBackup, { 'kept.txt': 'synced while the peer was enabled' });
    peerB = await pairPeer(a, b, 'password of b');
    // bob never activates his account; a second peer is added but its fingerprint never confirmed
    assert.equal((await a.admin.post('/api/admin/users', { username: 'bob' })).status, 201);
    const unconfirmed = await a.admin.post('/api/admin/peers', { name: 'not-confirmed', address: '127.0.0.1', port: b.port, password: 'password of b' });
    unconfirmedPeer = unconfirmed.body.id;
  });

  after(async () => {
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('leaves unactivated users and unconfirmed peers out of Force Sync, and says so once on the dashboard', async () => {
    for (let round = 0; round < 2; round += 1) {
      const forced = await a.admin.post('/api/admin/sync/force');
      assert.equal(forced.status, 202, JSON.stringify(forced.body));
      const runs = forced.body.started as { logId: number }[];
      const logs = await waitForLogs(a.admin, runs.map((run) => run.logId));
      assert.deepEqual(
        logs.map((log) => [log.user, log.peer, log.status]).sort(),
        [
          ['admin', 'server-b', 'success'],
          ['alice', 'server-b', 'success'],
        ],
        'the activated users, to the confirmed peer only',
      );
    }
    const all = (await a.admin.get('/api/admin/sync/logs?limit=100')).body.logs as { user: string; peer: string; status: string }[];
    assert.deepEqual(all.filter((log) => log.user === 'bob' || log.peer === 'not-confirmed'), [], 'no failed run logged for them');
    const waiting = (await a.admin.get('/api/dashboard')).body.waiting as { code: string; subject: string; message: string }[];
    assert.deepEqual(
      waiting.map((item) => [item.code, item.subject]),
      [
        ['USER_NOT_ACTIVATED', 'bob'],
        ['PEER_NOT_PINNED', 'not-confirmed'],
      ],
    );
  });

  it('answers Sync now with the unconfirmed peer refused, not a failed run', async () => {
    const response = await alice.client.post(`/api/shares/${alice.backupShareId}/sync`);
    assert.equal(response.status, 202);
    assert.deepEqual(
      response.body.refused.map((entry: { peerName: string; code: string }) => [entry.peerName, entry.code]),
      [['not-confirmed', 'PEER_NOT_PINNED']],
    );
    await waitForLogs(a.admin, response.body.started.map((run: { logId: number }) => run.logId));
    assert.equal((await a.admin.request('DELETE', `/api/admin/peers/${unconfirmedPeer}`)).status, 204);
  });

  it('ends a running sync as interrupted when its peer is disabled, and still offers that peer in Restore', async () => {
    await a.admin.request('PATCH', `/api/admin/peers/${peerB}`, { uploadLimitKiBps: 32 });
    await writeFiles(aliceBackup, { 'slow.bin': randomBytes(512 * KIB) });
    const logId = await startSlowSync(a.admin, alice.client, alice.backupShareId, 'server-b');
    assert.equal((await a.admin.request('PATCH', `/api/admin/peers/${peerB}`, { enabled: false })).status, 200);
    const [log] = await waitForLogs(a.admin, [logId], 10_000);
    assert.equal(log?.status, 'interrupted', JSON.stringify(log));
    assert.equal(log?.errorCode, 'SYNC_INTERRUPTED');
    assert.match(log?.error ?? '', /server-b was disabled/);

    const sources = (await alice.client.get('/api/restore/sources')).body;
    assert.ok(JSON.stringify(sources).includes('"peerName":"server-b"'), `the disabled peer is still a source: ${JSON.stringify(sources)}`);
    const download = await alice.client.get(`/api/restore/${peerB}/backup/file?path=kept.txt`);
    assert.equal(download.status, 200);
  });

  it('ends a running sync as interrupted, not as an internal error, when its peer is deleted', async () => {
    await a.admin.request('PATCH', `/api/admin/peers/${peerB}`, { enabled: true });
    await writeFiles(aliceBackup, { 'slow-2.bin': randomBytes(512 * KIB) });
    const logId = await startSlowSync(a.admin, alice.client, alice.backupShareId, 'server-b');
    assert.equal((await a.admin.request('DELETE', `/api/admin/peers/${peerB}`)).status, 204);
    const [log] = await waitForLogs(a.admin, [logId], 10_000);
    assert.equal(log?.status, 'interrupted', JSON.stringify(log));
    assert.match(log?.error ?? '', /server-b was deleted/);
  });
});

describe('a server that stops while a sync runs', () => {
  it('records the run as interrupted before its database closes', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-stop-'));
    const b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    try {
      const a = await startTestServer({ dataDir, keepDataDir: true });
      const admin = a.client();
      await admin.post('/api/setup', { serverName: 'server-a', username: 'admin', password: 'server-a admin password' });
      const source: ClusterServer = { test: a, admin, name: 'server-a', port: Number(new URL(a.url).port) };
      const alice = await createUser(source, 'alice');
      const peerId = await pairPeer(source, b, 'password of b');
      await writeFiles(path.join(dataDir, 'shares', 'alice', 'backup'), { 'first.txt': 'first' });
      await syncAndWait(alice.client, admin, alice.backupShareId);
      await admin.request('PATCH', `/api/admin/peers/${peerId}`, { uploadLimitKiBps: 32 });
      await writeFiles(path.join(dataDir, 'shares', 'alice', 'backup'), { 'slow.bin': randomBytes(512 * KIB) });
      const logId = await startSlowSync(admin, alice.client, alice.backupShareId, 'server-b');
      await a.stop();

      const db = openDatabaseReadOnly(path.join(dataDir, 'db', 'anemone.db'));
      try {
        const row = db.prepare('SELECT status, error_code, finished_at FROM sync_logs WHERE id = ?').get(logId) as { status: string; error_code: string; finished_at: string };
        assert.equal(row.status, 'interrupted');
        assert.equal(row.error_code, 'SYNC_INTERRUPTED');
        assert.ok(row.finished_at);
      } finally {
        db.close();
      }
    } finally {
      await b.test.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
