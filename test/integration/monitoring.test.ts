import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser, pairPeer, serverLogLines, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/** Bytes of every file under `root`, as `du` would count them (apparent sizes). */
async function bytesUnder(root: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))).size;
  }
  return total;
}

describe('dashboard and incoming backups after real syncs', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let bob: { client: ApiClient; key: Buffer; backupShareId: number };

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a', { logLevel: 'info' }), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    bob = await createUser(a, 'bob');
    await pairPeer(a, b, 'password of b');
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'a.txt': 'alpha', 'photos/b.jpg': randomBytes(30_000), 'c.bin': randomBytes(2 * 1024 * 1024) });
    await writeFiles(path.join(a.test.dataDir, 'shares', 'bob', 'backup'), { 'letter.txt': 'hello' });
    for (const user of [alice, bob]) {
      const logs = await syncAndWait(user.client, a.admin, user.backupShareId);
      assert.deepEqual(logs.map((log) => log.status), ['success']);
    }
  });
  after(async () => {
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('shows the administrator every share with its last successful sync, and the peer online', async () => {
    const dashboard = (await a.admin.get('/api/dashboard')).body;
    const backups = dashboard.shares.filter((share: { name: string }) => share.name === 'backup');
    assert.deepEqual(backups.map((share: { user: string }) => share.user).sort(), ['admin', 'alice', 'bob']);
    for (const share of backups.filter((entry: { user: string }) => entry.user !== 'admin')) assert.ok(share.lastSuccessfulSyncAt, `${share.user} synced`);
    assert.equal(dashboard.connectedPeers, 1);
    assert.deepEqual(dashboard.peers.map((peer: { name: string; status: string }) => [peer.name, peer.status]), [['server-b', 'online']]);
    assert.deepEqual(dashboard.recentFailures, []);
  });

  it('shows a user only their own shares, and no failures list', async () => {
    const dashboard = (await alice.client.get('/api/dashboard')).body;
    assert.deepEqual(dashboard.shares.map((share: { user: string; name: string }) => `${share.user}/${share.name}`), ['alice/backup', 'alice/data']);
    assert.equal(dashboard.recentFailures, undefined);
  });

  it('lists a failed sync with its hint among the administrator\'s recent failures, and the peer as unauthorised', async () => {
    await b.admin.request('PUT', '/api/admin/settings/sync', { password: 'a new password for b' });
    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(logs[0]?.status, 'failure');
    const dashboard = (await a.admin.get('/api/dashboard')).body;
    assert.equal(dashboard.recentFailures[0].user, 'alice');
    assert.match(dashboard.recentFailures[0].error, /401/);
    assert.ok(dashboard.recentFailures[0].hint);
    assert.equal(dashboard.peers[0].status, 'unauthorized');
    assert.equal(dashboard.connectedPeers, 0);
    await b.admin.request('PUT', '/api/admin/settings/sync', { password: 'password of b' });
  });

  it('counts on the peer what was synced: one source, its users and shares, files, bytes and generation', async () => {
    const incoming = (await b.admin.get('/api/admin/incoming')).body;
    assert.equal(incoming.peerCount, 1);
    assert.equal(incoming.fileCount, 4);
    const onDisk = await bytesUnder(path.join(b.test.dataDir, 'incoming', 'server-a'));
    assert.equal(incoming.bytesUsed, onDisk);
    const [source] = incoming.sources;
    assert.equal(source.name, 'server-a');
    assert.equal(source.fingerprint, a.test.server.identity.fingerprint);
    const shares = source.shares.map((share: { user: string; share: string; fileCount: number; generation: number }) => [share.user, share.share, share.fileCount, share.generation > 0]);
    assert.deepEqual(shares, [
      ['alice', 'backup', 3, true],
      ['bob', 'backup', 1, true],
    ]);
  });

  it('deletes a user\'s backups from disk and from the statistics', async () => {
    const bobFolder = path.join(b.test.dataDir, 'incoming', 'server-a', 'bob');
    const before = await bytesUnder(path.join(b.test.dataDir, 'incoming'));
    const deleted = await b.admin.delete('/api/admin/incoming/server-a?user=bob');
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deletedFiles, 1);
    await assert.rejects(access(bobFolder));
    const incoming = (await b.admin.get('/api/admin/incoming')).body;
    assert.equal(incoming.fileCount, 3);
    assert.equal(incoming.bytesUsed, before - deleted.body.deletedBytes);
    assert.equal(await bytesUnder(path.join(b.test.dataDir, 'incoming')), incoming.bytesUsed);
  });

  it('writes greppable sync lines to data/logs/, with no key or password in them', async () => {
    type Line = { msg: string; user?: string; share?: string; peer?: string; files?: number; code?: string };
    const startedByAlice = (line: Line) => line.msg === 'sync started' && line.user === 'alice' && line.share === 'backup' && line.peer === 'server-b';
    const finishedByAlice = (line: Line) => line.msg === 'sync finished' && line.user === 'alice' && line.files === 3;
    const refused = (line: Line) => line.msg === 'sync failed' && line.code === 'PEER_UNAUTHORIZED';
    const lines = await serverLogLines<Line>(a, (read) => [startedByAlice, finishedByAlice, refused].every((kind) => read.some(kind)));
    assert.ok(lines.some(startedByAlice), 'a "sync started" line names the user, share and peer');
    assert.ok(lines.some(finishedByAlice), 'a "sync finished" line counts the files');
    assert.ok(lines.some(refused), 'a "sync failed" line carries the code');
    const text = JSON.stringify(lines);
    for (const secret of [alice.key.toString('base64'), bob.key.toString('base64'), 'password of b', 'a new password for b']) {
      assert.equal(text.includes(secret), false, 'a secret reached the log');
    }
  });
});
