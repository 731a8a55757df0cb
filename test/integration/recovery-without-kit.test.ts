import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function hashTree(root: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else found[path.relative(root, full).split(path.sep).join('/')] = sha256(await readFile(full));
    }
  };
  await walk(root);
  return found;
}

/**
 * Restoring without the kit (docs/restore.md): server-a is lost with no
 * recovery kit. A fresh server takes the same name, its peer's administrator
 * accepts its new certificate, alice enters the key she kept, and her
 * backup comes back.
 */
describe('restoring without the recovery kit, with the key a user kept', () => {
  let b: ClusterServer;
  let a2: ClusterServer;
  let aliceKey: string;
  let original: Record<string, string>;

  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    const a = await startNamedServer('server-a');
    const alice = await createUser(a, 'alice');
    aliceKey = alice.key.toString('base64');
    await pairPeer(a, b, 'password of b');
    const share = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(share, { 'letters/2024.txt': 'dear diary', 'scan.pdf': randomBytes(300_000) });
    assert.deepEqual((await syncAndWait(alice.client, a.admin, alice.backupShareId)).map((log) => log.status), ['success']);
    original = await hashTree(share);
    await a.test.stop();
  });
  after(async () => {
    await Promise.all([a2?.test.stop(), b?.test.stop()]);
  });

  it("brings alice's backup back through a fresh server once she enters her key", async () => {
    a2 = await startNamedServer('server-a');
    const peerId = await pairPeer(a2, b, 'password of b');
    // the peer knows the name server-a with the lost certificate: its administrator accepts the new one
    const accepted = await b.admin.post('/api/admin/incoming/server-a/accept-certificate');
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.fingerprint, a2.test.server.identity.fingerprint);

    const alice = await createUser(a2, 'alice');
    const refused = await alice.client.post('/api/restore/key', { encryptionKey: aliceKey });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'KEY_ENTRY_NOT_ALLOWED', 'a key is never swapped under an account without an administrator asking for it');

    const aliceId = (await a2.admin.get('/api/admin/users')).body.users.find((user: { username: string }) => user.username === 'alice').id;
    assert.deepEqual((await a2.admin.post(`/api/admin/users/${aliceId}/awaiting-key`)).body, { hasKey: true, awaitingKey: true });
    const listed = async () => (await a2.admin.get('/api/admin/users')).body.users.find((user: { id: number }) => user.id === aliceId).awaitingKey;
    assert.equal(await listed(), true, 'the user list says who awaits a key, after a reload too');
    assert.deepEqual((await alice.client.get('/api/restore/key')).body, { hasKey: true, awaitingKey: true });

    assert.equal((await alice.client.post('/api/restore/key', { encryptionKey: 'not a key' })).status, 400);
    const typo = await alice.client.post('/api/restore/key', { encryptionKey: randomBytes(32).toString('base64') });
    assert.equal(typo.status, 409);
    assert.equal(typo.body.error.code, 'KEY_MISMATCH');
    assert.match(typo.body.error.message, /server-b/);

    const entered = await alice.client.post('/api/restore/key', { encryptionKey: aliceKey });
    assert.equal(entered.status, 200, JSON.stringify(entered.body));
    assert.deepEqual(entered.body, { replaced: true, verifiedOn: ['server-b'], unreachable: [] });
    assert.deepEqual((await alice.client.get('/api/restore/key')).body, { hasKey: true, awaitingKey: false });
    assert.equal(await listed(), false);
    assert.equal((await alice.client.post('/api/restore/key', { encryptionKey: aliceKey })).body.replaced, false, 'entering the same key again changes nothing');

    const started = await a2.admin.post('/api/admin/restore', { peerId, users: ['alice'] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const deadline = Date.now() + 60_000;
    let job;
    do {
      await delay(100);
      job = (await a2.admin.get(`/api/admin/restore/${started.body.jobId}`)).body;
      assert.ok(Date.now() < deadline);
    } while (job.status === 'running');
    assert.equal(job.status, 'success', JSON.stringify(job));
    assert.deepEqual(await hashTree(path.join(a2.test.dataDir, 'shares', 'alice', 'backup')), original);

    // her backup goes on where it was: the peer's manifest opens with the key, nothing needs sending
    const logs = await syncAndWait(alice.client, a2.admin, alice.backupShareId);
    assert.deepEqual(logs.map((log) => [log.status, log.fileCount]), [['success', 0]], JSON.stringify(logs));
  });
});
