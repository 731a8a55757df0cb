import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { encryptedLength } from '../../src/crypto/index.js';
import { runCli } from '../helpers/cli.js';
import { LinkProxy } from '../helpers/link-proxy.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const SMALL_FILES = 3000;
const CHANGED = 10;
const CHANGED_SIZE = 4096;

/**
 * What a sync costs on the wire between two real servers, counted by the
 * proxy both ways. A sync opens a new TLS connection (mutual TLS, both
 * certificate chains: a few KiB) and keeps its session token; the counts
 * include all of it.
 */
describe('sync wire cost: cheap no-change syncs and manifest deltas (a proxy between two real servers)', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let peerB: number;
  let aliceShare: string;
  /** Where a restore into a new folder lands: the never-synced share. */
  let aliceData: string;
  let onPeer: string;
  const expected = new Map<string, Buffer>();

  const sync = async () => {
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    return log;
  };
  const wire = () => proxy.bytes.up + proxy.bytes.down;
  const journal = async () => (await readdir(path.join(onPeer, '_manifest.d')).catch(() => [])).sort();
  const write = async (files: Record<string, Buffer>) => {
    await writeFiles(aliceShare, files);
    for (const [relPath, content] of Object.entries(files)) expected.set(relPath, content);
  };

  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    a = await startNamedServer('server-a');
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port } });
    peerB = await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
    alice = await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    aliceData = path.join(a.test.dataDir, 'shares', 'alice', 'data');
    onPeer = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    const files: Record<string, Buffer> = {};
    for (let index = 0; index < SMALL_FILES; index++) files[`small/${Math.floor(index / 100)}/file-${index}.txt`] = randomBytes(100);
    await write(files);
    // file times in the past, so the hash cache takes them (a write in the same clock tick is hashed again)
    const past = new Date(Date.now() - 60_000);
    await Promise.all(Object.keys(files).map((relPath) => utimes(path.join(aliceShare, relPath), past, past)));
    await sync();
  });
  after(async () => {
    await proxy?.close();
    await a?.test.stop();
    await b?.test.stop();
  });

  it('sends no manifest when nothing changed: at most 64 KiB both ways over 3,000 files', async () => {
    const generation = b.test.server.repos.incoming.generationOf({ source: 'server-a', user: 'alice', share: 'backup' });
    proxy.resetCounts();
    await sync();
    console.log(`wire cost, no-change sync over ${SMALL_FILES} files: up ${proxy.bytes.up} B, down ${proxy.bytes.down} B, total ${wire()} B`);
    assert.ok(wire() <= 64 * 1024, `a no-change sync moved ${wire()} bytes`);
    assert.equal(b.test.server.repos.incoming.generationOf({ source: 'server-a', user: 'alice', share: 'backup' }), generation, 'no manifest was written');
  });

  it('sends the changed files and a small delta when 10 files changed', async () => {
    const changed: Record<string, Buffer> = {};
    for (let index = 0; index < CHANGED; index++) changed[`small/${index}/file-${index * 100}.txt`] = randomBytes(CHANGED_SIZE);
    await write(changed);
    proxy.resetCounts();
    await sync();
    const files = CHANGED * encryptedLength(CHANGED_SIZE);
    console.log(`wire cost, ${CHANGED} changed files of ${CHANGED_SIZE} B: up ${proxy.bytes.up} B, down ${proxy.bytes.down} B, total ${wire()} B (files' ciphertext ${files} B)`);
    assert.ok(wire() <= files + 16 * 1024, `10 changed files moved ${wire()} bytes, the files being ${files}`);
    assert.equal((await journal()).length, 1, 'one delta in the journal');
  });

  it('restores the right files after several deltas, and `anemone decrypt` reads the peer folder with its journal', async () => {
    await unlink(path.join(aliceShare, 'small/1/file-101.txt'));
    expected.delete('small/1/file-101.txt');
    await sync();
    await write({ 'new/added.txt': Buffer.from('added after two deltas') });
    await sync();
    assert.equal((await journal()).length, 3);
    await assertRestores(['small/0', 'small/1', 'new']);
    await assertDecrypts();
  });

  it('folds the journal into a full manifest when the deltas outgrow a quarter of it, and restores from there', async () => {
    // new times on every file: a delta as large as the manifest, so a full one goes instead
    const now = new Date();
    await Promise.all([...expected.keys()].map((relPath) => utimes(path.join(aliceShare, relPath), now, now)));
    await write({ 'new/after-fold.txt': Buffer.from('written with the fold') });
    await sync();
    assert.deepEqual(await journal(), [], 'the full manifest replaced the journal');
    await write({ 'new/after-fold-2.txt': Buffer.from('a delta on the new base') });
    await sync();
    assert.equal((await journal()).length, 1);
    await assertRestores(['new', 'small/2']);
  });

  it('refuses a journal with a missing link (chain broken) or a missing tail (rollback); Force Sync writes a full manifest again', async () => {
    await write({ 'new/d1.txt': Buffer.from('one') });
    await sync();
    await write({ 'new/d2.txt': Buffer.from('two') });
    await sync();
    const deltas = await journal();
    assert.equal(deltas.length, 3);
    const listing = async () => (await alice.client.get(`/api/restore/${peerB}/backup/files`)).body.error?.code;
    const [, middle] = deltas.sort((x, y) => parseInt(x) - parseInt(y));
    await unlink(path.join(onPeer, '_manifest.d', middle as string));
    assert.equal(await listing(), 'MANIFEST_CHAIN_BROKEN');
    const forced = await a.admin.post('/api/admin/sync/force');
    assert.equal(forced.status, 202);
    const [log] = await waitForLogs(a.admin, forced.body.started.map((run: { logId: number }) => run.logId));
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.deepEqual(await journal(), [], 'Force Sync wrote a full manifest');
    await assertRestores(['new']);

    await write({ 'new/d3.txt': Buffer.from('three') });
    await sync();
    await write({ 'new/d4.txt': Buffer.from('four') });
    await sync();
    await unlink(path.join(onPeer, '_manifest.d', (await journal()).sort((x, y) => parseInt(x) - parseInt(y)).at(-1) as string));
    assert.equal(await listing(), 'MANIFEST_ROLLBACK', 'a journal missing its last delta is an older state');
  });

  it('sends everything again to a peer whose administrator deleted the backups', async () => {
    const deleted = await b.admin.delete('/api/admin/incoming/server-a?user=alice&share=backup');
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    const log = await sync();
    assert.equal(log?.fileCount, expected.size);
    await assertRestores(['small/5', 'new']);
  });

  async function assertRestores(folders: string[]): Promise<void> {
    const started = await alice.client.post(`/api/restore/${peerB}/backup/restore`, { paths: folders, target: 'folder' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    let job;
    for (;;) {
      job = (await alice.client.get(`/api/restore/jobs/${started.body.jobId}`)).body;
      if (job.status !== 'running') break;
      await delay(50);
    }
    assert.equal(job.status, 'success', JSON.stringify(job));
    const wanted = [...expected.keys()].filter((relPath) => folders.some((folder) => relPath.startsWith(`${folder}/`)));
    assert.equal(job.filesDone, wanted.length);
    for (const relPath of wanted) {
      assert.deepEqual(await readFile(path.join(aliceData, job.targetFolder, relPath)), expected.get(relPath), relPath);
    }
    await rm(path.join(aliceData, job.targetFolder), { recursive: true, force: true });
  }

  async function assertDecrypts(): Promise<void> {
    const out = await mkdtemp(path.join(os.tmpdir(), 'anemone-wire-decrypt-'));
    try {
      const result = await runCli(['decrypt', onPeer, '--out', out, '--key-stdin'], { input: alice.key.toString('base64') });
      assert.equal(result.code, 0, result.stderr);
      for (const relPath of ['small/0/file-0.txt', 'new/added.txt', 'small/5/file-500.txt']) {
        assert.deepEqual(await readFile(path.join(out, relPath)), expected.get(relPath), relPath);
      }
      await assert.rejects(readFile(path.join(out, 'small/1/file-101.txt')), { code: 'ENOENT' });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }
});
