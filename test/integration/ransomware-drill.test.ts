import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fetchBytes, waitForRestoreJob } from '../helpers/restore-requests.js';
import { receiverStores } from '../helpers/receiver-stores.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, waitForLogs, writeFiles, type ClusterServer, type SyncLog } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const names = Array.from({ length: 20 }, (_, index) => `docs/report-${String(index).padStart(2, '0')}.docx`);
const original: Record<string, Buffer> = Object.fromEntries(names.map((relPath) => [relPath, randomBytes(2000)]));
const overwritten = names.slice(0, 15);
const deleted = names.slice(15, 17);

/** Issue 14's "done when": ransomware damage that reached the peer, undone by a restore as of a time before it; the peer's history on its disk, then in a bucket. */
for (const receiver of receiverStores()) describe(`the ransomware drill between two real servers (peer store: ${receiver.name})`, () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let peerId: number;
  let beforeDamage: string;
  let job: any;

  const sync = async (): Promise<SyncLog> => {
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.ok(log);
    return log;
  };
  const restoreAsOf = async (at: string) => {
    const started = await a.admin.post('/api/admin/restore', { peerId, users: ['alice'], at });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return waitForRestoreJob(a.admin, `/api/admin/restore/${started.body.jobId}`);
  };

  before(async () => {
    const receiverConfig = await receiver.start();
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b', config: receiverConfig })]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    peerId = await pairPeer(a, b, 'password of b');
    await writeFiles(aliceBackup, original);
    assert.equal((await sync()).status, 'success');
    // snapshot times are whole instants on the peer: step past the first one before the damage
    await delay(20);
    beforeDamage = new Date().toISOString();
    await delay(20);

    await writeFiles(aliceBackup, Object.fromEntries(overwritten.map((relPath) => [relPath, randomBytes(2000)])));
    for (const relPath of deleted) await rm(path.join(aliceBackup, relPath));
    const held = await sync();
    assert.equal(held.errorCode, 'RANSOMWARE_TRIPWIRE', JSON.stringify(held));
    const confirmed = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: held.id });
    assert.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
    const [sent] = await waitForLogs(a.admin, [confirmed.body.started[0].logId]);
    assert.equal(sent?.status, 'success', JSON.stringify(sent));
    await writeFiles(aliceBackup, { 'notes/after-the-damage.txt': 'written after the damage' });
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    await receiver.stop();
  });

  it('puts every file back byte for byte as of a time before the damage, and lists the file created since', async () => {
    job = await restoreAsOf(beforeDamage);
    assert.equal(job.status, 'success', JSON.stringify(job));
    assert.equal(job.at, beforeDamage);
    assert.equal(job.filesDone, 20);
    for (const relPath of names) assert.ok((await readFile(path.join(aliceBackup, relPath))).equals(original[relPath] as Buffer), `${relPath} as it was`);
    assert.deepEqual(job.leftInPlace, [{ user: 'alice', share: 'backup', path: 'notes/after-the-damage.txt' }]);
    assert.equal(job.leftInPlaceCount, 1);
    assert.equal(await readFile(path.join(aliceBackup, 'notes/after-the-damage.txt'), 'utf8'), 'written after the damage', 'left in place');

    const snapshots = (await alice.client.get(`/api/restore/${peerId}/backup/snapshots`)).body.snapshots as { id: number; at: string }[];
    const expected = snapshots.filter((snapshot) => snapshot.at <= beforeDamage).at(0);
    assert.ok(expected && snapshots.length >= 2, JSON.stringify(snapshots));
    assert.deepEqual(job.snapshots, [{ user: 'alice', share: 'backup', snapshot: expected.id }]);
  });

  it('gives a deleted file back from that snapshot as a download', async () => {
    const relPath = deleted[0] as string;
    const download = await fetchBytes(alice.client, `/api/restore/${peerId}/backup/file?path=${encodeURIComponent(relPath)}&snapshot=${job.snapshots[0].snapshot}`);
    assert.equal(download.status, 200, download.body.toString().slice(0, 200));
    assert.ok(download.body.equals(original[relPath] as Buffer));
  });

  it('reports a share with no snapshot that old, and refuses a time that is not one', async () => {
    const tooOld = await restoreAsOf('2000-01-01T00:00:00Z');
    assert.equal(tooOld.status, 'failure', JSON.stringify(tooOld));
    const [error] = tooOld.users[0].errors;
    assert.equal(error.code, 'RESTORE_NO_SNAPSHOT_AT');
    assert.match(error.message, /^server-b keeps no snapshot of alice\/backup from 2000-01-01T00:00:00\.000Z or earlier \(the oldest is from /);
    assert.equal(tooOld.filesTotal, 0);

    const refused = await a.admin.post('/api/admin/restore', { peerId, users: ['alice'], at: 'yesterday' });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
  });
});
