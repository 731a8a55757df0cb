/**
 * A user who can write into their share swaps files the sync has listed but
 * not yet read: for symbolic links to the server's master key or to
 * /etc/passwd, for FIFOs, or swaps a folder on the path for a link leading
 * out of the share. The sync hook `beforeFileRead` makes the swap land between
 * the scan and the read, every time, without timers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { independentDecrypt } from '../helpers/independent-decrypt.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer, storedFiles } from '../helpers/sync-cluster.js';

type FileReadHook = (file: { username: string; shareName: string; relPath: string }) => Promise<void>;


const MIB = 1024 * 1024;

describe('share files swapped between the scan and the read', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let peerB: number;
  let outside: string;
  let masterKey: Buffer;
  let passwd: Buffer;
  /** Outside every share, bigger than the large files it replaces: what a large file's read would pick up. */
  const bigSecret = Buffer.concat([Buffer.from('BIG-SECRET-OUTSIDE-THE-SHARE'), randomBytes(3 * MIB)]);
  let onRead: FileReadHook = async () => undefined;

  before(async () => {
    [a, b] = await Promise.all([
      startNamedServer('server-a', { serverOptions: { syncTestHooks: { beforeFileRead: (file) => onRead(file) } } }),
      startNamedServer('server-b', { acceptPassword: 'password of b' }),
    ]);
    peerB = await pairPeer(a, b, 'password of b');
    masterKey = await readFile(path.join(a.test.dataDir, 'secrets', 'master.key'));
    passwd = await readFile('/etc/passwd');
    outside = await mkdtemp(path.join(os.tmpdir(), 'anemone-outside-'));
    await writeFiles(outside, { 'big/data.bin': bigSecret, 'secret.bin': bigSecret });
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    if (outside) await rm(outside, { recursive: true, force: true });
  });

  const shareOf = (username: string) => path.join(a.test.dataDir, 'shares', username, 'backup');
  const onPeer = (username: string) => path.join(b.test.dataDir, 'incoming', 'server-a', username, 'backup');

  /** Runs `swap(relPath)` once, just before the sync reads that file of `username`'s share. */
  function swapBeforeRead(username: string, swaps: Record<string, (fullPath: string) => Promise<void>>): void {
    const pending = new Map(Object.entries(swaps));
    onRead = async (file) => {
      const swap = file.username === username ? pending.get(file.relPath) : undefined;
      if (!swap) return;
      pending.delete(file.relPath);
      await swap(path.join(shareOf(username), ...file.relPath.split('/')));
    };
  }

  const linkTo = (target: string) => async (fullPath: string) => {
    await rm(fullPath);
    await symlink(target, fullPath);
  };

  /** What the peer holds for `username`, decrypted: the manifest's paths and every stored file's plaintext. */
  async function peerHolds(username: string, key: Buffer): Promise<{ listed: string[]; stored: string[]; plaintexts: Buffer[] }> {
    const stored = await storedFiles(onPeer(username));
    const context = { sourceServer: 'server-a', user: username, share: 'backup' };
    const manifestBytes = stored.get('_manifest.json.enc');
    assert.ok(manifestBytes, 'the peer holds a manifest');
    const manifest = JSON.parse(independentDecrypt(key, context, manifestBytes).toString());
    const plaintexts: Buffer[] = [];
    for (const relPath of Object.keys(manifest.files)) {
      const ciphertext = stored.get(`${relPath}.enc`);
      assert.ok(ciphertext, `${relPath} is stored`);
      plaintexts.push(independentDecrypt(key, { ...context, relPath }, ciphertext));
    }
    return { listed: Object.keys(manifest.files).sort(), stored: [...stored.keys()].sort(), plaintexts };
  }

  function assertNoSecret(plaintexts: Buffer[], where: string): void {
    for (const plaintext of plaintexts) {
      assert.ok(!plaintext.includes(masterKey), `${where}: no copy of the master key`);
      assert.ok(!plaintext.includes(passwd), `${where}: no copy of /etc/passwd`);
      assert.ok(!plaintext.includes(bigSecret.subarray(0, 64)), `${where}: no copy of the file outside the share`);
    }
  }

  it('never stores the target of a file swapped for a symlink, small or large, and reports it as not backed up', async () => {
    const alice = await createUser(a, 'alice');
    await writeFiles(shareOf('alice'), {
      'keep/plain.txt': Buffer.from('an ordinary file\n'),
      'keep/large.bin': randomBytes(2 * MIB),
      'swap/key.txt': randomBytes(100),
      'swap/passwd.txt': randomBytes(200_000),
      'swap/key.bin': randomBytes(2 * MIB),
      'swap/passwd.bin': randomBytes(2 * MIB),
      'swap/secret.bin': randomBytes(2 * MIB),
    });
    const masterKeyPath = path.join(a.test.dataDir, 'secrets', 'master.key');
    swapBeforeRead('alice', {
      'swap/key.txt': linkTo(masterKeyPath),
      'swap/passwd.txt': linkTo('/etc/passwd'),
      'swap/key.bin': linkTo(masterKeyPath),
      'swap/passwd.bin': linkTo('/etc/passwd'),
      'swap/secret.bin': linkTo(path.join(outside, 'secret.bin')),
    });

    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal(log?.fileCount, 2, JSON.stringify(log));
    assert.match(log?.error ?? '', /^5 files not backed up: swap\/\S+ \(.*symbolic link/, JSON.stringify(log));

    const held = await peerHolds('alice', alice.key);
    assert.deepEqual(held.listed, ['keep/large.bin', 'keep/plain.txt']);
    assert.deepEqual(held.stored, ['_manifest.json.enc', 'keep/large.bin.enc', 'keep/plain.txt.enc']);
    assertNoSecret(held.plaintexts, 'the peer');

    // what Restore hands out: the whole share as a ZIP (files stored, not deflated, so the bytes would show)
    const zip = await alice.client.post(`/api/restore/${peerB}/backup/zip`, { paths: [''] });
    assert.equal(zip.status, 200, String(zip.body).slice(0, 300));
    assert.ok(!String(zip.body).includes(masterKey.toString().trim()), 'the ZIP holds no master key');
    const swapped = await alice.client.get(`/api/restore/${peerB}/backup/files?path=swap`);
    assert.equal(swapped.status, 404, 'nothing under swap/ can be browsed or restored');
  });

  it('skips files swapped for FIFOs without hanging, and sign-in still answers', async () => {
    const bob = await createUser(a, 'bob');
    const fifos = ['pipes/one.txt', 'pipes/two.txt', 'pipes/three.txt', 'pipes/four.txt', 'pipes/five.txt', 'pipes/large.bin'];
    await writeFiles(shareOf('bob'), {
      'keep.txt': Buffer.from('still backed up\n'),
      ...Object.fromEntries(fifos.map((relPath) => [relPath, relPath.endsWith('.bin') ? randomBytes(2 * MIB) : randomBytes(1000)])),
    });
    // all of them before the first read: four FIFOs blocking opens would hold every thread of libuv's pool
    // (the small files are read four at a time: every read waits for the same swap)
    let swapped: Promise<void> | undefined;
    const swapAll = async () => {
      for (const relPath of fifos) {
        const fullPath = path.join(shareOf('bob'), ...relPath.split('/'));
        await rm(fullPath);
        execFileSync('mkfifo', [fullPath]);
      }
    };
    onRead = (file) => (file.username === 'bob' ? (swapped ??= swapAll()) : Promise.resolve());

    const started = Date.now();
    const [log] = await syncAndWait(bob.client, a.admin, bob.backupShareId);
    assert.ok(Date.now() - started < 20_000, `the run ended promptly (${Date.now() - started} ms)`);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.match(log?.error ?? '', /^6 files not backed up: pipes\/\S+ \(.*not a regular file/, JSON.stringify(log));
    const held = await peerHolds('bob', bob.key);
    assert.deepEqual(held.listed, ['keep.txt']);

    const login = await Promise.race([
      a.test.client().post('/api/auth/login', { username: 'bob', password: 'bob password' }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('sign-in did not answer within 10 s')), 10_000).unref()),
    ]);
    assert.equal(login.status, 200, JSON.stringify(login.body));
  });

  it('catches a folder on the path swapped for a link leading out of the share', async () => {
    const carol = await createUser(a, 'carol');
    await writeFiles(shareOf('carol'), {
      'keep.txt': Buffer.from('still backed up\n'),
      'secrets/master.key': randomBytes(100),
      'big/data.bin': randomBytes(2 * MIB),
    });
    const folderToLink = (target: string) => async (fullPath: string) => {
      const folder = path.dirname(fullPath);
      await rm(folder, { recursive: true });
      await symlink(target, folder);
    };
    swapBeforeRead('carol', {
      'secrets/master.key': folderToLink(path.join(a.test.dataDir, 'secrets')),
      'big/data.bin': folderToLink(path.join(outside, 'big')),
    });

    const [log] = await syncAndWait(carol.client, a.admin, carol.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.match(log?.error ?? '', /^2 files not backed up: .*outside the share/, JSON.stringify(log));
    const held = await peerHolds('carol', carol.key);
    assert.deepEqual(held.listed, ['keep.txt']);
    assert.deepEqual(held.stored, ['_manifest.json.enc', 'keep.txt.enc']);
    assertNoSecret(held.plaintexts, 'the peer');
  });
});
