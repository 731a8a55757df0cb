import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';
import { fetchBytes, waitForRestoreJob } from '../helpers/restore-requests.js';
import { receiverStores } from '../helpers/receiver-stores.js';

/** A user's snapshots on the source: files overwritten and deleted, then got back as they were; the peer keeps them on disk, then in a bucket. */
for (const receiver of receiverStores()) describe(`snapshots for users, on the source (peer store: ${receiver.name})`, () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let scratch: string;
  let peerId: number;
  const original: Record<string, Buffer> = { 'docs/report.txt': randomBytes(3000), 'photo.jpg': randomBytes(200_000), 'gone.txt': randomBytes(100), 'same.txt': randomBytes(50) };
  const damaged = { 'docs/report.txt': randomBytes(3000), 'photo.jpg': randomBytes(200_000) };
  const base = () => `/api/restore/${peerId}/backup`;
  const q = encodeURIComponent;

  before(async () => {
    const receiverConfig = await receiver.start();
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b', config: receiverConfig })]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    scratch = await mkdtemp(path.join(os.tmpdir(), 'anemone-snapshots-'));
    peerId = await pairPeer(a, b, 'password of b');
    await writeFiles(aliceBackup, original);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    await writeFiles(aliceBackup, damaged);
    await rm(path.join(aliceBackup, 'gone.txt'));
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    await receiver.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const snapshots = async () => {
    const listed = await alice.client.get(`${base()}/snapshots`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    return listed.body.snapshots as { id: number; at: string; fileCount: number; bytes: number }[];
  };

  it('lists the snapshots newest first, with their totals', async () => {
    const listed = await snapshots();
    assert.equal(listed.length, 2);
    const [newest, oldest] = listed as [(typeof listed)[number], (typeof listed)[number]];
    assert.ok(newest.id > oldest.id && newest.at >= oldest.at);
    assert.deepEqual([oldest.fileCount, oldest.bytes], [4, 3000 + 200_000 + 100 + 50]);
    assert.deepEqual([newest.fileCount, newest.bytes], [3, 3000 + 200_000 + 50]);
  });

  it('browses and downloads a snapshot: the old bytes, and a deleted file back; without it, the latest state', async () => {
    const oldest = (await snapshots()).at(-1)?.id as number;
    const listing = await alice.client.get(`${base()}/files?snapshot=${oldest}`);
    assert.equal(listing.status, 200);
    assert.deepEqual((listing.body.files as { name: string }[]).map((file) => file.name).sort(), ['gone.txt', 'photo.jpg', 'same.txt']);
    assert.equal(listing.body.generation, oldest);

    for (const relPath of ['docs/report.txt', 'photo.jpg', 'gone.txt']) {
      const old = await fetchBytes(alice.client, `${base()}/file?path=${q(relPath)}&snapshot=${oldest}`);
      assert.equal(old.status, 200, old.body.toString().slice(0, 200));
      assert.ok(old.body.equals(original[relPath] as Buffer), `${relPath} as it was`);
    }
    const latest = await fetchBytes(alice.client, `${base()}/file?path=photo.jpg`);
    assert.ok(latest.body.equals(damaged['photo.jpg']), 'without snapshot: the latest state');
    assert.equal((await alice.client.get(`${base()}/file?path=gone.txt`)).status, 404, 'deleted from the latest state');
    assert.equal((await alice.client.get(`${base()}/files?snapshot=999999`)).status, 404, 'a snapshot the peer does not keep');
  });

  it('zips and restores a snapshot', async () => {
    const oldest = (await snapshots()).at(-1)?.id as number;
    const zip = await fetchBytes(alice.client, `${base()}/zip`, { method: 'POST', body: { paths: [''], snapshot: oldest } });
    assert.equal(zip.status, 200, zip.body.toString().slice(0, 200));
    const zipPath = path.join(scratch, 'old.zip');
    await writeFile(zipPath, zip.body);
    execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zipPath, path.join(scratch, 'unzipped')]);
    for (const [relPath, bytes] of Object.entries(original)) assert.ok((await readFile(path.join(scratch, 'unzipped', relPath))).equals(bytes), `${relPath} in the ZIP`);

    const started = await alice.client.post(`${base()}/restore`, { paths: ['docs', 'gone.txt'], target: 'original', snapshot: oldest });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await waitForRestoreJob(alice.client, `/api/restore/jobs/${started.body.jobId}`, 60_000);
    assert.equal(job.status, 'success', JSON.stringify(job));
    assert.ok((await readFile(path.join(aliceBackup, 'docs/report.txt'))).equals(original['docs/report.txt'] as Buffer), 'put back byte for byte');
    assert.ok((await readFile(path.join(aliceBackup, 'gone.txt'))).equals(original['gone.txt'] as Buffer), 'the deleted file is back');
  });

  it("lists a file's versions, newest first, one per distinct content", async () => {
    const [newest, oldest] = (await snapshots()) as unknown as [{ id: number; at: string }, { id: number; at: string }];
    const changed = await alice.client.get(`${base()}/versions?path=${q('photo.jpg')}`);
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual(changed.body.versions, [
      { snapshot: newest.id, at: newest.at, size: 200_000 },
      { snapshot: oldest.id, at: oldest.at, size: 200_000 },
    ]);
    const unchanged = await alice.client.get(`${base()}/versions?path=same.txt`);
    assert.deepEqual(unchanged.body.versions, [{ snapshot: newest.id, at: newest.at, size: 50 }], 'the same content in both snapshots is one version');
    assert.equal((await alice.client.get(`${base()}/versions?path=never.txt`)).status, 404);
  });
});
