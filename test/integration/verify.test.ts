import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { PeerError } from '../../src/peer-client/peer-error.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/** Starts a verification and waits for its report. */
async function verify(admin: ApiClient, body: { peerId: number; users?: string[]; sample?: number }) {
  const started = await admin.post('/api/admin/verify', body);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await admin.get(`/api/admin/verify/${started.body.id}`);
    if (job.body.status !== 'running') return job.body;
    assert.ok(Date.now() < deadline, 'the verification ends');
    await delay(100);
  }
}

describe('verify: what a peer holds, checked against the manifests', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let peerId: number;
  let aliceOnB: string;
  const files = {
    'notes/todo.txt': 'buy milk\n',
    'photos/cat.jpg': randomBytes(150_000),
    'photos/big.raw': randomBytes(2 * 1024 * 1024 + 5),
    'empty.txt': '',
    '_manifest.json': '{"mine": true}',
  };

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    const alice = await createUser(a, 'alice');
    const bob = await createUser(a, 'bob');
    peerId = await pairPeer(a, b, 'password of b');
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), files);
    await writeFiles(path.join(a.test.dataDir, 'shares', 'bob', 'backup'), { 'one.txt': 'one' });
    for (const [user, shareId] of [[alice, alice.backupShareId], [bob, bob.backupShareId]] as const) {
      const logs = await syncAndWait(user.client, a.admin, shareId);
      assert.deepEqual(logs.map((log) => log.status), ['success']);
    }
    aliceOnB = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
  });

  it('is for administrators, on a known peer', async () => {
    const alice = a.test.client();
    await alice.post('/api/auth/login', { username: 'alice', password: 'alice password' });
    assert.equal((await alice.post('/api/admin/verify', { peerId })).status, 403);
    assert.equal((await a.admin.post('/api/admin/verify', { peerId: 999 })).status, 404);
    assert.equal((await a.admin.post('/api/admin/verify', { peerId, users: ['nobody'] })).status, 404);
    assert.equal((await a.admin.get('/api/admin/verify/unknown-job')).status, 404);
  });

  it('finds every file in place, and a decrypted sample matches the manifest', async () => {
    const report = await verify(a.admin, { peerId, sample: 3 });
    assert.equal(report.status, 'done');
    assert.equal(report.ok, true, JSON.stringify(report));
    const byUser = Object.fromEntries(report.shares.map((share: { user: string }) => [share.user, share]));
    assert.deepEqual(Object.keys(byUser).sort(), ['admin', 'alice', 'bob']);
    assert.equal(byUser.admin.status, 'no-backup');
    const alice = byUser.alice;
    assert.equal(alice.status, 'ok');
    assert.deepEqual([alice.files, alice.okCount, alice.missingCount, alice.alteredCount, alice.extraCount], [5, 5, 0, 0, 0]);
    assert.deepEqual(alice.sample, { checked: 3, ok: 3, failed: [] });
    assert.equal(byUser.bob.okCount, 1);
  });

  it('reports files missing, altered or extra on the peer, per share', async () => {
    const cat = path.join(aliceOnB, 'photos', 'cat.jpg.enc');
    const bytes = await readFile(cat);
    bytes[1000] = (bytes[1000] as number) ^ 0xff;
    await writeFile(cat, bytes);
    await rm(path.join(aliceOnB, 'notes', 'todo.txt.enc'));
    await writeFile(path.join(aliceOnB, 'stray.bin.enc'), 'left by someone');

    const report = await verify(a.admin, { peerId, users: ['alice'], sample: 10 });
    assert.equal(report.ok, false);
    assert.equal(report.shares.length, 1);
    const [alice] = report.shares;
    assert.equal(alice.status, 'problems');
    assert.deepEqual(alice.missing, ['notes/todo.txt']);
    assert.deepEqual(alice.altered, ['photos/cat.jpg']);
    assert.deepEqual(alice.extra, ['stray.bin.enc']);
    assert.deepEqual([alice.okCount, alice.missingCount, alice.alteredCount, alice.extraCount], [3, 1, 1, 1]);
    // the sample is drawn from the files that passed the hash check, and all of them decrypt
    assert.deepEqual(alice.sample, { checked: 3, ok: 3, failed: [] });
  });

  it('the peer hashes only stored paths that pass its path rules', async () => {
    const client = a.test.server.services.peers.clientFor(peerId);
    try {
      await assert.rejects(client.hashFiles('alice', 'backup', ['../../../etc/passwd.enc']), (error) => error instanceof PeerError && error.code === 'PATH_INVALID');
      const hashed = await client.hashFiles('alice', 'backup', ['photos/big.raw.enc', 'not/there.enc']);
      assert.deepEqual(hashed.map((file) => file.path), ['photos/big.raw.enc']);
      assert.equal(hashed[0]?.size, (await readFile(path.join(aliceOnB, 'photos', 'big.raw.enc'))).length);
    } finally {
      await client.close();
    }
  });
});
