import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { receiverStores } from '../helpers/receiver-stores.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const DAY = 24 * 60 * 60 * 1000;

interface IncomingSource {
  name: string;
  bytesUsed: number;
  versionBytes: number;
  prunableBytes: number;
  keepVersionsDays: number;
  keepVersionsDaysOverride: number | null;
  maxBytes: number | null;
  shares: { user: string; share: string; versionBytes: number; prunableBytes: number }[];
}

/** The peer's retention, set by its administrator, with the peer's clock moved forward by the test; the peer keeps backups on its disk, then in a bucket. */
for (const receiver of receiverStores()) describe(`retention on the peer (store: ${receiver.name})`, () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let offsetMs = 0;

  before(async () => {
    const receiverConfig = await receiver.start();
    [a, b] = await Promise.all([
      startNamedServer('server-a'),
      startNamedServer('server-b', {
        acceptPassword: 'password of b',
        config: receiverConfig,
        serverOptions: { incoming: { now: () => new Date(Date.now() + offsetMs), historyPruneMs: 100 } },
      }),
    ]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await pairPeer(a, b, 'password of b');
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    await receiver.stop();
  });
  /** The versions B keeps of alice's backup share, from its store. */
  const versionsOnB = () => receiver.storedFiles(b.test.dataDir, 'server-a/.history/alice/backup');

  const sourceOnB = async (): Promise<IncomingSource> => {
    const response = await b.admin.get('/api/admin/incoming/server-a');
    assert.equal(response.status, 200);
    return response.body as IncomingSource;
  };

  it('takes keepVersionsDays in the sync settings, 0 to 3650 days, 30 unless set', async () => {
    assert.equal((await b.admin.get('/api/admin/settings/sync')).body.keepVersionsDays, 30);
    for (const wrong of [-1, 3651, 1.5]) {
      const refused = await b.admin.request('PUT', '/api/admin/settings/sync', { keepVersionsDays: wrong });
      assert.equal(refused.status, 400, `refuses ${wrong}`);
    }
    const saved = await b.admin.request('PUT', '/api/admin/settings/sync', { keepVersionsDays: 20 });
    assert.equal(saved.status, 200);
    assert.equal((await b.admin.get('/api/admin/settings/sync')).body.keepVersionsDays, 20);
  });

  it('shows the space of versions, prunes them once older than the retention, and the figures follow', async () => {
    await writeFiles(aliceBackup, { 'a.bin': randomBytes(50_000), 'b.bin': randomBytes(20_000) });
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    await writeFiles(aliceBackup, { 'a.bin': randomBytes(50_000) });
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));

    const kept = await sourceOnB();
    assert.ok(kept.versionBytes > 50_000, `the replaced a.bin is kept: ${kept.versionBytes}`);
    assert.equal(kept.prunableBytes, 0, 'nothing is old enough to go');
    assert.equal(kept.keepVersionsDays, 20);
    assert.equal(kept.shares[0]?.versionBytes, kept.versionBytes);
    const keptObjects = await versionsOnB();
    assert.equal([...keptObjects.values()].reduce((sum, bytes) => sum + bytes.length, 0), kept.versionBytes, 'the store holds the versions the figures count');

    // a per-source override, then the clock moves past it
    const patched = await b.admin.request('PATCH', '/api/admin/incoming/server-a', { keepVersionsDays: 5 });
    assert.equal(patched.status, 200);
    assert.deepEqual([(patched.body as IncomingSource).keepVersionsDays, (patched.body as IncomingSource).keepVersionsDaysOverride], [5, 5]);
    offsetMs = 6 * DAY;
    const due = await sourceOnB();
    assert.equal(due.prunableBytes, kept.versionBytes, 'the next prune frees every version');

    const deadline = Date.now() + 10_000;
    while ((await sourceOnB()).versionBytes > 0 && Date.now() < deadline) await delay(100);
    const pruned = await sourceOnB();
    assert.deepEqual([pruned.versionBytes, pruned.prunableBytes], [0, 0], 'the daily job pruned it');
    assert.equal(pruned.bytesUsed, kept.bytesUsed, 'the current state is untouched');
    assert.deepEqual([...(await versionsOnB()).keys()], [], 'the pruned versions are gone from the store');

    const cleared = await b.admin.request('PATCH', '/api/admin/incoming/server-a', { keepVersionsDays: null });
    assert.deepEqual([(cleared.body as IncomingSource).keepVersionsDays, (cleared.body as IncomingSource).keepVersionsDaysOverride], [20, null], 'back to the server setting');
  });

  it('refuses new data past a quota with 507 and a message naming it, which the source logs; nothing held is dropped', async () => {
    const before = await sourceOnB();
    const quota = await b.admin.request('PATCH', '/api/admin/incoming/server-a', { maxBytes: before.bytesUsed + before.versionBytes });
    assert.equal((quota.body as IncomingSource).maxBytes, before.bytesUsed + before.versionBytes);
    await writeFiles(aliceBackup, { 'c.bin': randomBytes(10_000) });
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'failure', JSON.stringify(log));
    assert.equal(log?.errorCode, 'INSUFFICIENT_STORAGE');
    assert.match(log?.error ?? '', /server-a may store 0\.1 MB here; it holds 0\.1 MB \(current 0\.1 MB, versions 0 MB\)/);
    const after = await sourceOnB();
    assert.deepEqual([after.bytesUsed, after.versionBytes], [before.bytesUsed, before.versionBytes], 'nothing held was dropped, nothing new stored');

    await b.admin.request('PATCH', '/api/admin/incoming/server-a', { maxBytes: null });
    const [retried] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(retried?.status, 'success', 'without the quota the sync goes through');
  });
});
