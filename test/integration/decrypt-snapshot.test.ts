import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { MANIFEST_STORED_NAME } from '../../src/manifest/stored-names.js';
import { decryptManifestFile } from '../../src/offline/decrypt-folder.js';
import { runCli } from '../helpers/cli.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every file under `root`, by its `/`-separated path. */
async function filesUnder(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(root, full).split(path.sep).join('/'), await readFile(full));
  }
  return files;
}

function assertSameFiles(actual: Map<string, Buffer>, expected: Record<string, Buffer>, what: string): void {
  assert.deepEqual([...actual.keys()].sort(), Object.keys(expected).sort(), `${what}: the same files`);
  for (const [relPath, bytes] of Object.entries(expected)) assert.ok(actual.get(relPath)?.equals(bytes), `${what}: ${relPath} byte for byte`);
}

/**
 * Two real servers sync twice; then the real CLI decrypts a copy of the
 * peer's folder (with its .history beside it) as of the first snapshot, as
 * of a time between the syncs, and as it stands — with the user key alone.
 */
describe('anemone decrypt --snapshot / --at, offline from a peer folder', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let out: string;
  let peerShare: string;
  let firstGeneration: number;
  let between: string;
  const first: Record<string, Buffer> = { 'a.txt': randomBytes(300), 'b.txt': randomBytes(400), 'docs/c.txt': randomBytes(500), 'big.bin': randomBytes(1024 * 1024 + 7) };
  const second: Record<string, Buffer> = { ...first, 'a.txt': randomBytes(310), 'docs/c.txt': randomBytes(90), 'e.txt': randomBytes(20) };
  delete second['b.txt'];

  const decrypt = (args: string[]) => runCli(['decrypt', peerShare, '--json', '--key-stdin', ...args], { input: `${alice.key.toString('base64')}\n` });

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    await pairPeer(a, b, 'password of b');
    out = await mkdtemp(path.join(os.tmpdir(), 'anemone-decrypt-snapshot-'));
    peerShare = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    const aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');

    await writeFiles(aliceBackup, first);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    // the generation of the first snapshot, read by the existing reader of the current manifest
    firstGeneration = (await decryptManifestFile(alice.key, path.join(peerShare, MANIFEST_STORED_NAME), { sourceServer: 'server-a', user: 'alice', share: 'backup' })).generation;
    await sleep(50);
    between = new Date().toISOString();
    await sleep(50);
    await writeFiles(aliceBackup, { 'a.txt': second['a.txt'] as Buffer, 'docs/c.txt': second['docs/c.txt'] as Buffer, 'e.txt': second['e.txt'] as Buffer });
    await rm(path.join(aliceBackup, 'b.txt'));
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('without --snapshot, decrypts the current state', async () => {
    const result = await decrypt(['--out', path.join(out, 'now')]);
    assert.equal(result.code, 0, result.stderr);
    assertSameFiles(await filesUnder(path.join(out, 'now')), second, 'the current state');
  });

  it('with --snapshot <first generation>, decrypts the first state byte for byte from the current objects and the history', async () => {
    const result = await decrypt(['--out', path.join(out, 'first'), '--snapshot', String(firstGeneration)]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { generation: number; files: number; failures: unknown[] };
    assert.equal(summary.generation, firstGeneration);
    assert.equal(summary.files, Object.keys(first).length);
    assertSameFiles(await filesUnder(path.join(out, 'first')), first, 'snapshot 1');
  });

  it('with --at <a time between the syncs>, decrypts the first state', async () => {
    const result = await decrypt(['--out', path.join(out, 'at'), '--at', between]);
    assert.equal(result.code, 0, result.stderr);
    assertSameFiles(await filesUnder(path.join(out, 'at')), first, 'the state at the time between');
    const now = await decrypt(['--out', path.join(out, 'at-now'), '--at', new Date().toISOString()]);
    assert.equal(now.code, 0, now.stderr);
    assert.ok((JSON.parse(now.stdout) as { generation: number }).generation > firstGeneration, 'a time after the second sync is the second snapshot');
    assertSameFiles(await filesUnder(path.join(out, 'at-now')), second, 'the state now');
  });

  it('refuses --snapshot with --at, and a time before any snapshot, saying what to do', async () => {
    const both = await decrypt(['--out', path.join(out, 'both'), '--snapshot', '1', '--at', between]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /not both/);
    const early = await decrypt(['--out', path.join(out, 'early'), '--at', '2000-01-01T00:00:00Z']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /give a later time/);
  });

  it('reports a version found nowhere (exit 3) and restores the rest', async () => {
    const objects = path.join(b.test.dataDir, 'incoming', 'server-a', '.history', 'alice', 'backup', 'objects');
    const kept = (await readdir(objects, { recursive: true })).filter((name) => name.endsWith('.enc'));
    assert.ok(kept.length >= 3, 'the replaced and deleted objects are kept, named by their ciphertext');
    for (const name of kept) assert.match(name, /^[0-9a-f]{2}\/[0-9a-f]{64}\.enc$/);
    await unlink(path.join(objects, kept[0] as string));
    const result = await decrypt(['--out', path.join(out, 'partly'), '--snapshot', String(firstGeneration)]);
    assert.equal(result.code, 3, result.stderr);
    const summary = JSON.parse(result.stdout) as { files: number; failures: { path: string; message: string }[] };
    assert.equal(summary.failures.length, 1);
    assert.ok(Object.hasOwn(first, summary.failures[0]?.path ?? ''), 'the file whose version is gone is named');
    assert.match(summary.failures[0]?.message ?? '', /neither the current object nor kept/);
    assert.equal(summary.files, Object.keys(first).length - 1);
    const restored = await filesUnder(path.join(out, 'partly'));
    for (const [relPath, bytes] of restored) assert.equal(sha256(bytes), sha256(first[relPath] as Buffer), `${relPath} restored as it was`);
  });
});
