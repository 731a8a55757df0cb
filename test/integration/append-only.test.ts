import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { decryptBuffer, fileInfo } from '../../src/crypto/index.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { openPeerManifest } from '../../src/manifest/sealed-manifest.js';
import { storedNameFor } from '../../src/manifest/stored-names.js';
import { PeerClient } from '../../src/peer-client/peer-client.js';
import { receiverStores } from '../helpers/receiver-stores.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const context = { sourceServer: 'server-a', user: 'alice', share: 'backup' };

/**
 * A source taken over: server-a's own certificate and server password,
 * speaking the protocol directly, tries every route that writes. The peer
 * must keep every snapshot it had, each file readable by its SHA-256 —
 * on its disk, and in a bucket.
 */
for (const receiver of receiverStores()) describe(`a peer is append-only towards its sources (store: ${receiver.name})`, () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let hostile: PeerClient;
  /** Each snapshot the real source committed, with the plaintext of every file in it. */
  const snapshots = new Map<number, Map<string, Buffer>>();

  before(async () => {
    const receiverConfig = await receiver.start();
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b', config: receiverConfig })]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await pairPeer(a, b, 'password of b');
    const identity = a.test.server.identity;
    hostile = new PeerClient({
      address: '127.0.0.1',
      port: b.port,
      identity: { certPem: identity.certPem, keyPem: identity.keyPem },
      pinnedFingerprint: b.test.server.identity.fingerprint,
      timeoutMs: 20_000,
      credentials: { sourceServer: 'server-a', password: 'password of b' },
    });
  });
  after(async () => {
    await hostile?.close();
    await Promise.all([a, b].map((server) => server?.test.stop()));
    await receiver.stop();
  });

  /** Reads snapshot `generation` from the peer as the source would: its manifest chain, then each object by SHA-256, decrypted. */
  async function readSnapshot(generation: number): Promise<Map<string, Buffer>> {
    const fetched = await hostile.fetchManifest('alice', 'backup', { snapshot: generation });
    assert.equal(fetched.kind, 'stored', `snapshot ${generation} is kept`);
    if (fetched.kind !== 'stored') throw new Error('unreachable');
    const deltas = [];
    for (const delta of fetched.deltas) deltas.push({ generation: delta.generation, bytes: await hostile.getManifestDelta('alice', 'backup', delta.generation, { snapshot: generation }) });
    const manifest: Manifest = openPeerManifest(alice.key, context, { base: fetched.base, deltas }, undefined);
    assert.equal(manifest.generation, generation);
    const files = new Map<string, Buffer>();
    for (const [relPath, entry] of Object.entries(manifest.files)) {
      const ciphertext = await buffer(await hostile.getFile('alice', 'backup', storedNameFor(relPath), { ctSha256: entry.ctSha256 }));
      assert.equal(sha256(ciphertext), entry.ctSha256, `${relPath} of snapshot ${generation} is the object its manifest names`);
      const plaintext = decryptBuffer(alice.key, fileInfo({ ...context, relPath }), ciphertext);
      assert.equal(sha256(plaintext), entry.sha256);
      files.set(relPath, plaintext);
    }
    return files;
  }

  it('records a snapshot per sync of the real source', async () => {
    const first: Record<string, Buffer> = { 'a.txt': randomBytes(300), 'b.txt': randomBytes(400), 'docs/c.txt': randomBytes(500), 'big.bin': randomBytes(2 * 1024 * 1024 + 3) };
    await writeFiles(aliceBackup, first);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    const second = { ...first, 'a.txt': randomBytes(310), 'e.txt': randomBytes(20) };
    delete (second as Record<string, Buffer>)['b.txt'];
    await writeFiles(aliceBackup, { 'a.txt': second['a.txt'], 'e.txt': second['e.txt'] });
    await rm(path.join(aliceBackup, 'b.txt'));
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));

    const listed = await hostile.listSnapshots('alice', 'backup');
    assert.equal(listed.length, 2);
    const [newest, oldest] = listed as [(typeof listed)[number], (typeof listed)[number]];
    assert.ok(newest.generation > oldest.generation, 'newest first');
    assert.deepEqual([newest.fileCount, oldest.fileCount], [4, 4], 'the totals the source announced');
    assert.equal(oldest.bytes, 300 + 400 + 500 + 2 * 1024 * 1024 + 3);
    for (const [snapshot, expected] of [
      [oldest.generation, first],
      [newest.generation, second],
    ] as const) {
      const read = await readSnapshot(snapshot);
      assert.deepEqual([...read.keys()].sort(), Object.keys(expected).sort());
      for (const [relPath, bytes] of Object.entries(expected)) assert.ok(read.get(relPath)?.equals(bytes), `${relPath} as of snapshot ${snapshot}`);
      snapshots.set(snapshot, read);
    }
  });

  it('keeps every snapshot whole whatever the hostile source sends', async () => {
    const stored = (await hostile.listFiles('alice', 'backup')).map((file) => file.path);
    assert.ok(stored.includes('big.bin.enc'));
    const junk = () => randomBytes(64);
    const junkUpload = async (storedPath: string) => {
      const bytes = junk();
      await hostile.putFile('alice', 'backup', storedPath, Readable.from([bytes]), bytes.length);
    };
    const current = Math.max(...snapshots.keys());

    // overwrite every object, one by one and in a batch
    for (const storedPath of stored) await junkUpload(storedPath);
    await hostile.putBatch(
      'alice',
      'backup',
      stored.map((storedPath) => {
        const bytes = junk();
        return { path: storedPath, ctSha256: sha256(bytes), body: bytes };
      }),
    );
    // a resumable upload over the large object
    const big = randomBytes(3 * 1024 * 1024);
    const uploadId = randomBytes(16).toString('hex');
    const offset = await hostile.uploadOffset('alice', 'backup', 'big.bin.enc', uploadId, big.length);
    assert.equal(offset, 0);
    const appended = await hostile.appendUpload('alice', 'backup', 'big.bin.enc', { uploadId, offset, size: big.length }, Readable.from([big]), () => createHash('sha256').update(big).digest());
    assert.equal(appended.complete, true);
    // manifests: a lower generation, the same ones again, deltas over them, a higher one
    for (const generation of [1, current, current + 50]) {
      const bytes = junk();
      await hostile.putManifest('alice', 'backup', () => Readable.from([bytes]), { generation, totals: { fileCount: 0, bytes: 0 } });
    }
    for (const generation of [current, current + 51]) {
      const bytes = junk();
      await hostile.putManifestDelta('alice', 'backup', generation, bytes, sha256(bytes));
    }
    await assert.rejects(hostile.putManifestDelta('alice', 'backup', current + 52, junk(), sha256(junk())), 'a manifest whose hash does not match is refused');
    // objects written after the last commit, then a sync run's start: the uncommitted ones are cleaned up
    await junkUpload('a.txt.enc');
    await junkUpload('fresh.txt.enc');
    await hostile.fetchManifest('alice', 'backup', { startsSyncRun: true });
    // delete everything, and read-only routes for good measure
    await hostile.deleteFiles('alice', 'backup', [...stored, 'fresh.txt.enc']);
    await hostile.hashFiles('alice', 'backup', stored);
    const kit = junk();
    await hostile.putRecoveryKit(kit);

    assert.deepEqual(await hostile.listFiles('alice', 'backup'), [], 'the current state is what the hostile source made it');
    const listed = (await hostile.listSnapshots('alice', 'backup')).map((snapshot) => snapshot.generation);
    for (const [generation, expected] of snapshots) {
      assert.ok(listed.includes(generation), `snapshot ${generation} is still listed`);
      const read = await readSnapshot(generation);
      assert.deepEqual([...read.keys()].sort(), [...expected.keys()].sort());
      for (const [relPath, bytes] of expected) assert.ok(read.get(relPath)?.equals(bytes), `${relPath} as of snapshot ${generation}, after the attack`);
    }
  });
});
