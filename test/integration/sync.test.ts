import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { independentDecrypt, independentManifest } from '../helpers/independent-decrypt.js';
import { receiverStores } from '../helpers/receiver-stores.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, waitForLogs, writeFiles, type ClusterServer, storedFiles } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A to B and C; B keeps what it receives on its disk, then in a bucket (C on its disk both times). */
for (const receiver of receiverStores()) describe(`sync between three real servers (B's store: ${receiver.name})`, () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let c: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let onC: string;
  /** What B holds of alice's backup share, from its store. */
  const heldOnB = () => receiver.storedFiles(b.test.dataDir, 'server-a/alice/backup');
  const heldOnC = () => storedFiles(onC);

  /** Checks what a peer holds against the source share with an independent decoder. */
  async function assertPeerHolds(held: () => Promise<Map<string, Buffer>>, expected: Record<string, Buffer>): Promise<void> {
    const stored = await held();
    const manifest = independentManifest(alice.key, { sourceServer: 'server-a', user: 'alice', share: 'backup' }, stored);
    assert.deepEqual(Object.keys(manifest.files).sort(), Object.keys(expected).sort());
    for (const [relPath, content] of Object.entries(expected)) {
      const storedPath = (relPath.startsWith('_') ? `_${relPath}` : relPath) + '.enc';
      const ciphertext = stored.get(storedPath);
      assert.ok(ciphertext, `${storedPath} is stored`);
      const plaintext = independentDecrypt(alice.key, { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath }, ciphertext);
      assert.ok(plaintext.equals(content), `${relPath} decrypts to the source's bytes`);
      assert.equal(manifest.files[relPath]?.sha256, sha256(content));
      assert.equal(manifest.files[relPath]?.ctSha256, sha256(ciphertext));
      assert.equal(manifest.files[relPath]?.size, content.length);
    }
    const objects = [...stored.keys()].filter((name) => !name.startsWith('_manifest.d/'));
    assert.equal(objects.length, Object.keys(expected).length + 1, `no other files: ${objects.join(', ')}`);
  }

  before(async () => {
    const receiverConfig = await receiver.start();
    [a, b, c] = await Promise.all([
      startNamedServer('server-a', { acceptPassword: 'password of a' }),
      startNamedServer('server-b', { acceptPassword: 'password of b', config: receiverConfig }),
      startNamedServer('server-c', { acceptPassword: 'password of c' }),
    ]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    onC = path.join(c.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    await pairPeer(a, b, 'password of b');
    await pairPeer(a, c, 'password of c');
  });
  after(async () => {
    await Promise.all([a, b, c].map((server) => server?.test.stop()));
    await receiver.stop();
  });

  const files: Record<string, Buffer> = {
    'notes/todo.txt': Buffer.from('buy milk\n'),
    'photos/été café.jpg': randomBytes(200_000),
    'photos/big.raw': randomBytes(3 * 1024 * 1024 + 17),
    'empty.txt': Buffer.alloc(0),
    '_manifest.json': Buffer.from('{"mine": true}'),
  };

  it('encrypts alice\'s backup share to B and C; each stored file decrypts, by an independent decoder, to the source bytes', async () => {
    await writeFiles(aliceBackup, { ...files, '.hidden/secret.txt': 'not synced', '.DS_Store': 'not synced' });
    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.deepEqual(logs.map((log) => [log.peer, log.status, log.fileCount]).sort(), [
      ['server-b', 'success', 5],
      ['server-c', 'success', 5],
    ]);
    for (const log of logs) assert.ok(log.bytesTransferred > 3 * 1024 * 1024, `bytes ${log.bytesTransferred}`);
    await assertPeerHolds(heldOnB, files);
    await assertPeerHolds(heldOnC, files);
  });

  it('sends only what changed, and deletes on the peer what was deleted at the source', async () => {
    const before = await heldOnB();
    files['notes/todo.txt'] = Buffer.from('buy milk and bread\n');
    files['new/file.bin'] = randomBytes(5000);
    await writeFiles(aliceBackup, { 'notes/todo.txt': files['notes/todo.txt'], 'new/file.bin': files['new/file.bin'] });
    delete files['empty.txt'];
    await rm(path.join(aliceBackup, 'empty.txt'));

    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    for (const log of logs) {
      assert.equal(log.status, 'success', JSON.stringify(log));
      assert.equal(log.fileCount, 2);
      assert.ok(log.bytesTransferred < 10_000, `only the changed bytes travel: ${log.bytesTransferred}`);
    }
    await assertPeerHolds(heldOnB, files);
    const after = await heldOnB();
    // unchanged files were not encrypted again: their stored bytes (random salt included) are identical
    assert.ok(after.get('photos/big.raw.enc')?.equals(before.get('photos/big.raw.enc') as Buffer));
  });

  it('costs nothing when nothing changed', async () => {
    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    for (const log of logs) {
      assert.equal(log.status, 'success');
      assert.equal(log.fileCount, 0);
      assert.equal(log.bytesTransferred, 0);
    }
    const shares = await alice.client.get('/api/shares');
    const backup = shares.body.shares.find((share: { name: string }) => share.name === 'backup');
    assert.ok(backup.lastSuccessfulSyncAt, 'the share shows its last successful sync');
  });

  it('refuses a second sync of the same share and peer while one runs', async () => {
    await writeFiles(aliceBackup, { 'video/long.bin': randomBytes(40 * 1024 * 1024) });
    files['video/long.bin'] = await readFile(path.join(aliceBackup, 'video', 'long.bin'));
    const first = await alice.client.post(`/api/shares/${alice.backupShareId}/sync`);
    assert.equal(first.status, 202);
    const second = await alice.client.post(`/api/shares/${alice.backupShareId}/sync`);
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'SYNC_ALREADY_RUNNING');
    const running = await a.admin.get('/api/admin/sync/running');
    assert.ok(running.body.running.length >= 1);
    assert.ok(running.body.running.every((run: { filesTotal: number }) => run.filesTotal >= 0));
    const logs = await waitForLogs(a.admin, first.body.started.map((run: { logId: number }) => run.logId));
    for (const log of logs) assert.equal(log.status, 'success', JSON.stringify(log));
    await assertPeerHolds(heldOnB, files);
  });

  it('stops before deleting when the share is emptied, until an administrator confirms', async () => {
    const held = await heldOnB();
    await rm(aliceBackup, { recursive: true });
    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    for (const log of logs) {
      assert.equal(log.status, 'failure');
      assert.equal(log.errorCode, 'MASS_DELETION_GUARD');
      assert.ok(log.hint);
    }
    assert.deepEqual([...(await heldOnB()).keys()].sort(), [...held.keys()].sort(), 'nothing deleted on the peer');

    await writeFiles(aliceBackup, files);
    const restored = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    for (const log of restored) assert.equal(log.status, 'success');
  });

  it('deletes on confirmation of the exact plan held, once; a stale or changed confirmation is refused', async () => {
    for (const relPath of Object.keys(files).filter((name) => name !== 'notes/todo.txt' && name !== 'photos/big.raw')) {
      await rm(path.join(aliceBackup, ...relPath.split('/')));
    }
    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    const guardedOnB = logs.find((log) => log.peer === 'server-b');
    const guardedOnC = logs.find((log) => log.peer === 'server-c');
    assert.equal(guardedOnB?.errorCode, 'MASS_DELETION_GUARD');
    assert.equal(guardedOnC?.errorCode, 'MASS_DELETION_GUARD');

    // one more file deleted after B's run was held: its confirmation no longer describes the plan
    await rm(path.join(aliceBackup, 'photos', 'big.raw'));
    const changed = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: guardedOnB?.id });
    assert.equal(changed.status, 202);
    const [heldAgain] = await waitForLogs(a.admin, [changed.body.started[0].logId]);
    assert.equal(heldAgain?.status, 'failure');
    assert.equal(heldAgain?.errorCode, 'MASS_DELETION_GUARD');
    assert.match(heldAgain?.error ?? '', /The deletions changed since they were confirmed/);
    const reused = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: guardedOnB?.id });
    assert.equal(reused.status, 409, 'a used confirmation cannot lift the later guard');
    assert.equal(reused.body.error.code, 'CONFIRMATION_STALE');
    assert.match(reused.body.error.message, /later sync of alice\/backup to server-b/);
    const notHeld = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: logs.find((log) => log.status === 'success')?.id ?? 1 });
    assert.equal(notHeld.status, 409);

    for (const held of [heldAgain, guardedOnC]) {
      const confirmed = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: held?.id });
      assert.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
      const [log] = await waitForLogs(a.admin, [confirmed.body.started[0].logId]);
      if (held === guardedOnC) {
        // C's held plan lacked big.raw's deletion: it is held again rather than deleting more than was confirmed
        assert.equal(log?.errorCode, 'MASS_DELETION_GUARD', JSON.stringify(log));
        const again = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: log?.id });
        assert.equal((await waitForLogs(a.admin, [again.body.started[0].logId]))[0]?.status, 'success');
      } else {
        assert.equal(log?.status, 'success', JSON.stringify(log));
      }
      const twice: { status: number } = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: held?.id });
      assert.equal(twice.status, 409, 'a confirmation is used once');
    }
    for (const relPath of Object.keys(files)) if (relPath !== 'notes/todo.txt') delete files[relPath];
    await assertPeerHolds(heldOnB, files);
    await assertPeerHolds(heldOnC, files);
  });

  it('logs a wrong peer password as 401 with the hint to fix it', async () => {
    const wrong = await a.admin.post('/api/admin/peers', { name: 'b-wrong', address: '127.0.0.1', port: b.port, password: 'not it', enabled: true });
    const tested = await a.admin.post(`/api/admin/peers/${wrong.body.id}/test`);
    assert.equal(tested.body.outcome, 'PEER_UNAUTHORIZED');
    assert.match(tested.body.message, /401/);
    await a.admin.request('PATCH', `/api/admin/peers/${wrong.body.id}`, { fingerprint: tested.body.fingerprint ?? b.test.server.identity.fingerprint });
    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    const failed = logs.find((log) => log.peer === 'b-wrong');
    assert.equal(failed?.status, 'failure');
    assert.match(failed?.error ?? '', /401/);
    assert.match(failed?.hint ?? '', /password/i);
    await a.admin.delete(`/api/admin/peers/${wrong.body.id}`);
  });

  it('logs 403 when the peer stops accepting syncs', async () => {
    await c.admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: false });
    await writeFiles(aliceBackup, { 'later.txt': 'x' });
    const logs = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    const onC403 = logs.find((log) => log.peer === 'server-c');
    assert.equal(onC403?.status, 'failure');
    assert.match(onC403?.error ?? '', /403/);
    assert.equal(logs.find((log) => log.peer === 'server-b')?.status, 'success');
    await c.admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true });
  });

  it('syncs the other way too: B\'s users back up to A', async () => {
    const bob = await createUser(b, 'bob');
    await pairPeer(b, a, 'password of a');
    await writeFiles(path.join(b.test.dataDir, 'shares', 'bob', 'backup'), { 'letter.txt': 'hello from bob' });
    const logs = await syncAndWait(bob.client, b.admin, bob.backupShareId);
    assert.deepEqual(logs.map((log) => log.status), ['success']);
    const stored = await readFile(path.join(a.test.dataDir, 'incoming', 'server-b', 'bob', 'backup', 'letter.txt.enc'));
    const plain = independentDecrypt(bob.key, { sourceServer: 'server-b', user: 'bob', share: 'backup', relPath: 'letter.txt' }, stored);
    assert.equal(plain.toString(), 'hello from bob');
  });

  it('Force Sync sends again a file the peer lost, checked against what the peer stores', async () => {
    const lost = 'server-a/alice/backup/notes/todo.txt.enc';
    await receiver.removeStored(b.test.dataDir, lost);
    const response = await a.admin.post('/api/admin/sync/force');
    assert.equal(response.status, 202);
    const logs = await waitForLogs(a.admin, response.body.started.map((run: { logId: number }) => run.logId));
    for (const log of logs) assert.equal(log.status, 'success', JSON.stringify(log));
    assert.ok(((await receiver.storedSize(b.test.dataDir, lost)) ?? 0) > 0);
  });
});
