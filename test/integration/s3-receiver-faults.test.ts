import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaultyHttpProxy } from '../helpers/faulty-http-proxy.js';
import { LocalS3 } from '../helpers/local-s3.js';
import { s3ConfigFlags } from '../helpers/receiver-stores.js';
import { fetchBytes } from '../helpers/restore-requests.js';
import { type ClusterServer, createUser, pairPeer, serverLogLines, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/**
 * A peer whose bucket misbehaves, as object storage under load or on a bad
 * link does: a refusal it retries is invisible to the source; one that
 * lasts fails the run, reported, and the next run finishes the job.
 */
describe('a peer keeping its backups in S3 storage that refuses', () => {
  const s3 = new LocalS3();
  let proxy: FaultyHttpProxy;
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let peerId: number;
  const files: Record<string, Buffer> = { 'notes.txt': randomBytes(5000), 'photos/big.jpg': randomBytes(6 * 1024 * 1024), 'photos/small.jpg': randomBytes(20_000) };

  before(async () => {
    await s3.start();
    proxy = new FaultyHttpProxy(s3.endpoint);
    await proxy.start();
    [a, b] = await Promise.all([
      startNamedServer('server-a'),
      startNamedServer('server-b', { acceptPassword: 'password of b', config: s3ConfigFlags(s3, 'faults', proxy.endpoint) }),
    ]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    peerId = await pairPeer(a, b, 'password of b');
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    await proxy?.stop();
    await s3.stop();
  });

  const restored = async (relPath: string) => {
    const file = await fetchBytes(alice.client, `/api/restore/${peerId}/backup/file?path=${encodeURIComponent(relPath)}`);
    assert.equal(file.status, 200, file.body.toString().slice(0, 200));
    return file.body;
  };

  it('fails the run while the storage refuses every write, and says the peer storage is the cause', async () => {
    await writeFiles(aliceBackup, files);
    proxy.decide = ({ method }) => (method === 'PUT' || method === 'POST' ? '503' : 'pass');
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.notEqual(log?.status, 'success', JSON.stringify(log));
    assert.equal(log?.status, 'failure');
    // its own kind, not PEER_PROTOCOL_ERROR with the peer's wording: retried like a dropped link
    assert.equal(log?.errorCode, 'PEER_STORAGE_UNAVAILABLE', JSON.stringify(log));
    assert.equal(log?.error, "The peer's storage is not answering: the peer could not store or read this backup; nothing was lost here");
    assert.match(log?.hint ?? '', /next run sends again what was refused.*tell the peer's administrator: their server log says what their storage \(disk or S3 bucket\) answered/);
    assert.doesNotMatch(JSON.stringify(log), /127\.0\.0\.1|request rate/, "the storage's address and words stay on the peer");
    assert.ok(proxy.seen.some((request) => request.fault === '503'));
  });

  it("says in the peer's own log what its storage answered", async () => {
    const storageRefused = (line: { err?: { message?: string } }) => line.err?.message?.startsWith("This server's storage for its peers' backups") === true;
    const lines = await serverLogLines<{ err?: { message?: string } }>(b, (read) => read.some(storageRefused));
    const failed = lines.filter(storageRefused);
    assert.ok(failed.length > 0, 'the refusal is logged');
    assert.ok(
      failed.some((line) => /The peer's object storage \(S3\) did not answer or refused the write.*: Please reduce your request rate/.test(line.err?.message ?? '')),
      `the log names the storage's answer: ${JSON.stringify(failed[0])}`,
    );
  });

  it('finishes at the next run, with connections dropped and 503s retried on the way: every file restores byte for byte', async () => {
    let faults = 0;
    proxy.decide = ({ method }) => {
      if (method !== 'PUT' || faults >= 4) return 'pass';
      faults += 1;
      return faults % 2 === 0 ? '503' : 'drop';
    };
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal(faults, 4, 'the storage misbehaved during the run');
    for (const [relPath, bytes] of Object.entries(files)) assert.ok((await restored(relPath)).equals(bytes), `${relPath} restores byte for byte`);
  });

  it('keeps the version a later run replaced', async () => {
    const older = files['notes.txt'] as Buffer;
    await writeFiles(aliceBackup, { 'notes.txt': randomBytes(5000) });
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    const snapshots = (await alice.client.get(`/api/restore/${peerId}/backup/snapshots`)).body.snapshots as { id: number }[];
    const oldest = snapshots.at(-1)?.id as number;
    const kept = await fetchBytes(alice.client, `/api/restore/${peerId}/backup/file?path=notes.txt&snapshot=${oldest}`);
    assert.equal(kept.status, 200);
    assert.ok(kept.body.equals(older), 'the replaced version, from history in the bucket');
  });
});
