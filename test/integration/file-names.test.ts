import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, waitForLogs, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));
const join = (...parts: Buffer[]) => Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [Buffer.from('/'), part])));

/** Every file under `root`, by the hex of its raw path, with the SHA-256 of its content: names compared byte for byte. */
async function rawTree(root: string, skipHidden = false): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (dir: Buffer, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true, encoding: 'buffer' })) {
      if (skipHidden && entry.name[0] === 0x2e) continue;
      const full = join(dir, entry.name);
      const id = prefix + entry.name.toString('hex');
      if (entry.isDirectory()) await walk(full, `${id}/`);
      else found.set(id, sha256(await readFile(full)));
    }
  };
  await walk(Buffer.from(root), '');
  return found;
}

/** A share's files, each as raw path components and content. */
const files: { parts: Buffer[]; content: Buffer }[] = [
  { parts: [bytes('n'.repeat(248), '.txt')], content: bytes('a 252-byte name: 256 bytes once stored with .enc') },
  { parts: [bytes('m'.repeat(251), '.txt')], content: bytes('a 255-byte name, the most Linux allows') },
  { parts: [bytes('café.txt')], content: bytes('NFC, as Linux tools write it') },
  { parts: [bytes('cafe\u0301.txt')], content: bytes('NFD, as macOS writes it: the same name to a person, another file') },
  { parts: [bytes('latin1-', [0xe9], '.txt')], content: bytes('a name in Latin-1, not UTF-8') },
  { parts: [bytes('back\\slash.txt')], content: bytes('a backslash in the name') },
  { parts: [bytes('dossier-', [0xe8]), bytes('dedans.txt')], content: bytes('in a folder whose name is not UTF-8') },
  {
    parts: [...Array.from({ length: 12 }, (_, level) => bytes(`${level}-`, 'd'.repeat(200))), bytes('deep.txt')],
    content: Buffer.alloc(1024 * 1024 + 7, 1), // streamed, not batched
  },
  { parts: [bytes('ordinary.txt')], content: bytes('an ordinary name') },
];

async function writeRawFiles(root: string): Promise<void> {
  for (const file of files) {
    const folder = join(Buffer.from(root), ...file.parts.slice(0, -1));
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, file.parts.at(-1) as Buffer), file.content);
  }
}

async function waitForJob(client: ApiClient, url: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await client.get(url);
    if (job.body.status !== 'running') return job.body;
    if (Date.now() > deadline) throw new Error(`restore job still running: ${JSON.stringify(job.body)}`);
    await delay(50);
  }
}

describe('every regular file is backed up, whatever its name', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let peerB: number;
  let aliceBackup: string;
  let aliceOnB: string;
  let original: Map<string, string>;
  let scratch: string;

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    peerB = await pairPeer(a, b, 'password of b');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    aliceOnB = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    await writeRawFiles(aliceBackup);
    original = await rawTree(aliceBackup);
    assert.equal(original.size, files.length);
    scratch = await mkdtemp(path.join(os.tmpdir(), 'anemone-names-test-'));
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('syncs them all in one run, with nothing left out', async () => {
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal((log as any).notBackedUp, 0, JSON.stringify(log));
    assert.equal(log?.fileCount, files.length);
    // names the peer could not hold are stored under the hash of their key
    const hashed = await readdir(path.join(aliceOnB, '_hashed'));
    assert.equal(hashed.length, 6, hashed.join(', '));
  });

  it('finds them all on the peer again: a Force Sync sends nothing twice', async () => {
    const forced = await a.admin.post('/api/admin/sync/force');
    assert.equal(forced.status, 202, JSON.stringify(forced.body));
    const [log] = await waitForLogs(a.admin, forced.body.started.map((run: { logId: number }) => run.logId));
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal(log?.fileCount, 0, JSON.stringify(log));
  });

  it('shows readable names when browsing, and downloads a file by its key', async () => {
    const root = await alice.client.get(`/api/restore/${peerB}/backup/files`);
    assert.equal(root.status, 200, JSON.stringify(root.body));
    const names = root.body.files.map((file: any) => file.name);
    for (const name of ['café.txt', 'cafe\u0301.txt', 'latin1-\ufffd.txt', 'back\\slash.txt', `${'n'.repeat(248)}.txt`]) assert.ok(names.includes(name), name);
    const latin1 = root.body.files.find((file: any) => file.name === 'latin1-\ufffd.txt');
    assert.equal(latin1.path, `\\${bytes('latin1-', [0xe9], '.txt').toString('hex')}`);
    const download = await alice.client.get(`/api/restore/${peerB}/backup/file?path=${encodeURIComponent(latin1.path)}`);
    assert.equal(download.status, 200);
  });

  it('restores every file into the share with byte-identical names and contents', async () => {
    for (const entry of await readdir(aliceBackup)) await rm(path.join(aliceBackup, entry), { recursive: true, force: true });
    const started = await alice.client.post(`/api/restore/${peerB}/backup/restore`, { paths: [''], target: 'original' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await waitForJob(alice.client, `/api/restore/jobs/${started.body.jobId}`);
    assert.equal(job.status, 'success', JSON.stringify(job));
    assert.deepEqual(await rawTree(aliceBackup), original);
  });

  it('anemone decrypt gives back every file of the peer folder, byte for byte', async () => {
    const out = path.join(scratch, 'decrypted');
    const result = await runCli(['decrypt', aliceOnB, '--out', out], { env: { ANEMONE_USER_KEY: alice.key.toString('base64') } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.deepEqual(await rawTree(out), original);
  });

  it('anemone decrypt of one hashed file finds its name in the manifest and writes it byte for byte', async () => {
    const latin1 = bytes('latin1-', [0xe9], '.txt');
    const storedName = (await readdir(path.join(aliceOnB, '_hashed'))).find((name) => name.startsWith(createHash('sha256').update(`\\${latin1.toString('hex')}`).digest('hex')));
    assert.ok(storedName);
    const out = path.join(scratch, 'one');
    const result = await runCli(['decrypt', path.join(aliceOnB, '_hashed', storedName), '--out', out], { env: { ANEMONE_USER_KEY: alice.key.toString('base64') } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.deepEqual(await readdir(out, { encoding: 'buffer' }), [latin1]);
  });

  it('reports a file it cannot back up as "1 file not backed up", lists it, and syncs the rest', async () => {
    const bob = await createUser(a, 'bob');
    const bobBackup = path.join(a.test.dataDir, 'shares', 'bob', 'backup');
    await mkdir(bobBackup, { recursive: true });
    await writeFile(path.join(bobBackup, 'fine.txt'), 'fine');
    await writeFile(path.join(bobBackup, '.hidden'), 'hidden files stay out, silently');
    await symlink('/etc/hostname', path.join(bobBackup, 'a-link'));
    const [log] = await syncAndWait(bob.client, a.admin, bob.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal((log as any).notBackedUp, 1);
    assert.match(log?.error ?? '', /^1 file not backed up: a-link/);
    assert.equal(log?.fileCount, 1);

    const detail = await a.admin.get(`/api/admin/sync/logs/${log?.id}`);
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    assert.deepEqual(
      detail.body.notBackedUpFiles.map((file: any) => [file.path, file.key]),
      [['a-link', 'a-link']],
    );
    assert.match(detail.body.notBackedUpFiles[0].reason, /symbolic link/);

    const dashboard = await a.admin.get('/api/dashboard');
    const share = dashboard.body.shares.find((item: any) => item.id === bob.backupShareId);
    assert.equal(share.notBackedUp?.count, 1, JSON.stringify(share));
    assert.equal(share.notBackedUp?.logId, log?.id);
    assert.equal(dashboard.body.shares.find((item: any) => item.id === alice.backupShareId).notBackedUp, null);
    assert.equal((await a.admin.get('/api/admin/sync/logs/999999')).status, 404);
  });

  it('reports an unreadable file and syncs the rest', { skip: process.getuid?.() === 0 && 'root reads everything' }, async () => {
    const carol = await createUser(a, 'carol');
    const carolBackup = path.join(a.test.dataDir, 'shares', 'carol', 'backup');
    await mkdir(carolBackup, { recursive: true });
    await writeFile(path.join(carolBackup, 'fine.txt'), 'fine');
    await writeFile(path.join(carolBackup, 'secret.txt'), 'secret');
    await chmod(path.join(carolBackup, 'secret.txt'), 0o000);
    try {
      const [log] = await syncAndWait(carol.client, a.admin, carol.backupShareId);
      assert.equal(log?.status, 'success', JSON.stringify(log));
      assert.equal((log as any).notBackedUp, 1);
      assert.match(log?.error ?? '', /^1 file not backed up: secret\.txt/);
      const detail = await a.admin.get(`/api/admin/sync/logs/${log?.id}`);
      assert.deepEqual(detail.body.notBackedUpFiles.map((file: any) => file.path), ['secret.txt']);
      assert.match(detail.body.notBackedUpFiles[0].reason, /cannot be read/);
    } finally {
      await chmod(path.join(carolBackup, 'secret.txt'), 0o600);
    }
  });
});
