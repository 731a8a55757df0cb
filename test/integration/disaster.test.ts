import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { downloadKit, pushKit } from '../helpers/recovery-kit.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { type ApiClient, startTestServer } from '../helpers/test-server.js';
import { receiverStores } from '../helpers/receiver-stores.js';

/**
 * THE DRILL (PRODUCT.md §7): a server syncs its users' backups to a peer,
 * its administrator downloads the recovery kit, and then the server is
 * lost — its data directory deleted. A fresh install becomes it again, from
 * the kit file or from the copy its peer keeps, with the real CLI; the peer
 * is not touched and accepts it as before; a bulk restore brings every file
 * back byte for byte, except one altered on the peer, which verify reports
 * and the restore refuses to pass off as good.
 */
const PASSPHRASE = 'harbour kettle violet spruce';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** relative path → SHA-256 of every file under `root`. */
async function hashTree(root: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) found[path.relative(root, full).split(path.sep).join('/')] = sha256(await readFile(full));
    }
  };
  await walk(root);
  return found;
}

function someFiles(seed: string): Record<string, Buffer> {
  return {
    'notes/todo.txt': Buffer.from(`${seed}: buy milk\n`),
    'photos/été/café.jpg': randomBytes(180_000),
    'photos/big.raw': randomBytes(2 * 1024 * 1024 + 321),
    'empty.txt': Buffer.alloc(0),
    '_manifest.json': Buffer.from(`{"${seed}": "a file of mine, not the protocol's"}`),
    'deep/a/b/c/d.txt': Buffer.from(seed.repeat(100)),
  };
}

/** A server with two users whose backups are synced to `peer`; returns the hashes of what they hold. */
async function serverWithBackups(name: string, users: [string, string], peer: ClusterServer) {
  const server = await startNamedServer(name);
  const peerId = await pairPeer(server, peer, 'password of b');
  const hashes: Record<string, Record<string, string>> = {};
  for (const username of users) {
    const user = await createUser(server, username);
    const share = path.join(server.test.dataDir, 'shares', username, 'backup');
    await writeFiles(share, someFiles(username));
    const logs = await syncAndWait(user.client, server.admin, user.backupShareId);
    assert.deepEqual(logs.map((log) => [log.status, log.fileCount]), [['success', 6]], JSON.stringify(logs));
    hashes[username] = await hashTree(share);
  }
  return { server, peerId, hashes };
}

async function signIn(client: ApiClient, name: string): Promise<ApiClient> {
  const login = await client.post('/api/auth/login', { username: 'admin', password: `${name} admin password` });
  assert.equal(login.status, 200, 'the administrator signs in with the old password');
  return client;
}

async function waitForJob(admin: ApiClient, url: string): Promise<any> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const job = await admin.get(url);
    assert.equal(job.status, 200, JSON.stringify(job.body));
    if (job.body.status !== 'running') return job.body;
    assert.ok(Date.now() < deadline, `${url} still running: ${JSON.stringify(job.body)}`);
    await delay(100);
  }
}

async function bulkRestore(admin: ApiClient, peerId: number, users: string[]): Promise<any> {
  const started = await admin.post('/api/admin/restore', { peerId, users });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForJob(admin, `/api/admin/restore/${started.body.jobId}`);
}

for (const receiver of receiverStores()) describe(`the disaster drill (peer store: ${receiver.name})`, () => {
  let b: ClusterServer;
  let work: string;

  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b', config: await receiver.start() });
    work = await mkdtemp(path.join(os.tmpdir(), 'anemone-drill-'));
  });
  after(async () => {
    await b?.test.stop();
    await receiver.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('(a) rebuilds server-a from its kit file with `anemone restore-server`; a bulk restore brings every file back', async () => {
    const { server: a, peerId, hashes } = await serverWithBackups('server-a', ['alice', 'bob'], b);
    const oldFingerprint = a.test.server.identity.fingerprint;
    const kit = await downloadKit({ url: a.test.url, certPem: a.test.server.identity.certPem }, { username: 'admin', password: 'server-a admin password' }, PASSPHRASE);
    assert.equal(kit.status, 200);
    const kitFile = path.join(work, 'anemone-server-a-recovery-kit.bin');
    await writeFile(kitFile, kit.bytes);

    // the disaster: server-a and its whole data directory are gone
    await a.test.stop();
    assert.equal(existsSync(a.test.dataDir), false);
    // and one file of alice's was altered on the peer
    const alteredOnB = 'server-a/alice/backup/deep/a/b/c/d.txt.enc';
    const bytes = await receiver.readStored(b.test.dataDir, alteredOnB);
    bytes[40] = (bytes[40] as number) ^ 0x01;
    await receiver.writeStored(b.test.dataDir, alteredOnB, bytes);

    const dataDir = path.join(work, 'rebuilt-a');
    const cli = (input: string) => runCli(['restore-server', '--kit', kitFile, '--passphrase-stdin', '--data-dir', dataDir, '--log-level', 'warn'], { input });
    const wrong = await cli('not the passphrase\n');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /passphrase does not open this recovery kit/);
    assert.equal(existsSync(path.join(dataDir, 'secrets', 'master.key')), false, 'a wrong passphrase writes nothing');

    const rebuilt = await cli(`${PASSPHRASE}\n`);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stdout, /Server "server-a" is rebuilt/);
    assert.match(rebuilt.stdout, /users\s+admin, alice, bob/);
    assert.match(rebuilt.stdout, /bulk restore/);
    const twice = await cli(`${PASSPHRASE}\n`);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already holds a server/);

    // on another port; nothing changed on B, which accepts server-a's identity as before
    const a2 = await startTestServer({ dataDir });
    try {
      assert.equal(a2.server.identity.fingerprint, oldFingerprint);
      const admin = await signIn(a2.client(), 'server-a');
      const peers = (await admin.get('/api/admin/peers')).body.peers;
      assert.deepEqual(peers.map((peer: { id: number; name: string }) => [peer.id, peer.name]), [[peerId, 'server-b']]);

      const report = await waitForJob(admin, `/api/admin/verify/${(await admin.post('/api/admin/verify', { peerId, sample: 2 })).body.id}`);
      const byUser = Object.fromEntries(report.shares.map((share: { user: string }) => [share.user, share]));
      assert.deepEqual(byUser.alice.altered, ['deep/a/b/c/d.txt'], 'verify reports the altered file');
      assert.equal(byUser.bob.status, 'ok');

      const job = await bulkRestore(admin, peerId, ['alice', 'bob']);
      assert.equal(job.status, 'partial', JSON.stringify(job));
      const alice = job.users.find((user: { user: string }) => user.user === 'alice');
      assert.deepEqual(alice.errors.map((error: { path: string }) => error.path), ['deep/a/b/c/d.txt']);

      const restoredAlice = await hashTree(path.join(dataDir, 'shares', 'alice', 'backup'));
      const { 'deep/a/b/c/d.txt': _altered, ...aliceGood } = hashes.alice as Record<string, string>;
      assert.deepEqual(restoredAlice, aliceGood, "alice's files are back, byte for byte; the altered one is not passed off as good");
      assert.deepEqual(await hashTree(path.join(dataDir, 'shares', 'bob', 'backup')), hashes.bob, "bob's files are back, byte for byte");

      // the rebuilt server syncs to its peer again without re-pairing (the mass-deletion guard aside, nothing to send)
      const tested = await admin.post(`/api/admin/peers/${peerId}/test`);
      assert.equal(tested.body.outcome, 'OK', JSON.stringify(tested.body));
      assert.equal((await admin.get('/api/admin/sync/config')).body.enabled, false, 'automatic sync stays off until the administrator switches it on');
    } finally {
      await a2.stop();
    }
  });

  it('(b) rebuilds server-c from its passphrase and the kit its peer keeps', async () => {
    const { server: c, peerId, hashes } = await serverWithBackups('server-c', ['carol', 'dave'], b);
    const oldFingerprint = c.test.server.identity.fingerprint;
    const kit = await downloadKit({ url: c.test.url, certPem: c.test.server.identity.certPem }, { username: 'admin', password: 'server-c admin password' }, PASSPHRASE);
    assert.equal(kit.status, 200);
    await pushKit(c.admin);
    await c.test.stop();
    assert.equal(existsSync(c.test.dataDir), false);

    const dataDir = path.join(work, 'rebuilt-c');
    const base = ['restore-server', '--from-peer', '127.0.0.1', '--peer-port', String(b.port), '--server-name', 'server-c', '--data-dir', dataDir];
    // without a confirmed fingerprint: it is shown, and nothing is sent
    const unconfirmed = await runCli(base);
    assert.equal(unconfirmed.code, 1);
    assert.ok(unconfirmed.stdout.includes(b.test.server.identity.fingerprint), unconfirmed.stdout + unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /--peer-fingerprint/);

    const rebuilt = await runCli([...base, '--peer-fingerprint', b.test.server.identity.fingerprint, '--passphrase-stdin', '--peer-password-stdin'], {
      input: `${PASSPHRASE}\npassword of b\n`,
    });
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stdout, /Server "server-c" is rebuilt/);

    const c2 = await startTestServer({ dataDir });
    try {
      assert.equal(c2.server.identity.fingerprint, oldFingerprint);
      const admin = await signIn(c2.client(), 'server-c');
      const job = await bulkRestore(admin, peerId, ['carol', 'dave']);
      assert.equal(job.status, 'success', JSON.stringify(job));
      for (const user of ['carol', 'dave']) {
        assert.deepEqual(await hashTree(path.join(dataDir, 'shares', user, 'backup')), hashes[user], `${user}'s files are back, byte for byte`);
      }
    } finally {
      await c2.stop();
    }
  });
});
