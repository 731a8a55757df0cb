import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { LinkProxy } from '../helpers/link-proxy.js';
import { downloadKit } from '../helpers/recovery-kit.js';
import { fetchBytes, waitForRestoreJob } from '../helpers/restore-requests.js';
import { createUser, pairPeer, startNamedServer, startSync, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/** The health check's interval in this test: the overview must follow the peer within a few of them. */
const CHECK_INTERVAL_MS = 300;
/** Slow enough that a sync of a few MiB is still running when it is cancelled. */
const SLOW_RATE = 512 * 1024;
const FILES: Record<string, Buffer> = {
  // at 512 KiB/s each takes seconds to reach the peer: the run is still uploading when it is cancelled
  'videos/one.bin': randomBytes(6 * 1024 * 1024),
  'videos/two.bin': randomBytes(6 * 1024 * 1024),
  'photos/cat.jpg': randomBytes(300 * 1024),
  'notes.txt': Buffer.from('shopping list\n'),
};

interface Dashboard {
  verdict: { state: string; sharesTotal: number; sharesBackedUp: number; oldestBackupAt: string | null; reasons: { code: string; message: string; hint: string; at: string | null }[] };
  nextRunAt: string | null;
  shares: { id: number; user: string; name: string; fileCount: number | null; sizeBytes: number | null }[];
  users: { user: string; fileCount: number; sizeBytes: number }[];
  peers: { id: number; status: string | null; lastSeenAt: string | null }[];
  recentFailures?: { id: number }[];
}

describe('honest status, and cancel of a sync and a restore, between real servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let peerId: number;
  let alice: { client: ApiClient; backupShareId: number };
  let bob: { client: ApiClient; backupShareId: number };
  let aliceShare: string;
  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    a = await startNamedServer('server-a', { serverOptions: { peerChecks: { intervalMs: CHECK_INTERVAL_MS } } });
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port } });
    peerId = await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
    alice = await createUser(a, 'alice');
    bob = await createUser(a, 'bob');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(aliceShare, FILES);
  });
  after(async () => {
    await proxy?.close();
    await a?.test.stop();
    await b?.test.stop();
  });

  const dashboard = async (client: ApiClient = a.admin): Promise<Dashboard> => {
    const response = await client.get('/api/dashboard');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as Dashboard;
  };

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await delay(50);
    }
  }

  const startAliceSync = (): Promise<number> => startSync(alice.client, alice.backupShareId);

  /**
   * Waits until the run has handed bytes of the plan to the connection and is
   * still running. Progress may already read the whole plan: between the
   * sender's socket and the throttling proxy, loopback's send and receive
   * buffers can take a few MiB at once (how many depends on the machine's TCP
   * autotuning), while the peer has acknowledged nothing yet.
   */
  async function waitUntilMidTransfer(logId: number): Promise<void> {
    await waitFor('the upload to be under way', async () => {
      const running = (await a.admin.get('/api/admin/sync/running')).body.running as { logId: number; phase: string; bytesDone: number; bytesTotal: number }[];
      const run = running.find((candidate) => candidate.logId === logId);
      assert.ok(run, 'the run ended before it was cancelled');
      return run.phase === 'uploading' && run.bytesDone > 0 ? true : undefined;
    });
  }

  /** What alice's backup on the peer lists can be downloaded, decrypted, byte for byte: the manifest names only what the peer holds. */
  async function assertPeerListsOnlyWhatItHolds(): Promise<string[]> {
    const sources = (await alice.client.get('/api/restore/sources')).body.sources as { share?: string }[];
    if (!sources.some((source) => source.share === 'backup')) return [];
    const listed: string[] = [];
    const walk = async (folder: string) => {
      const listing = await alice.client.get(`/api/restore/${peerId}/backup/files?path=${encodeURIComponent(folder)}`);
      assert.equal(listing.status, 200, JSON.stringify(listing.body));
      for (const sub of listing.body.folders as { path: string }[]) await walk(sub.path);
      for (const file of listing.body.files as { path: string }[]) listed.push(file.path);
    };
    await walk('');
    for (const relPath of listed) {
      const file = await fetchBytes(alice.client, `/api/restore/${peerId}/backup/file?path=${encodeURIComponent(relPath)}`);
      assert.equal(file.status, 200, `${relPath} is listed but cannot be restored`);
      assert.ok(file.body.equals(FILES[relPath] as Buffer), `${relPath} restores byte for byte`);
    }
    return listed;
  }

  it('shows the size of each share and user, and the next scheduled run', async () => {
    const seen = await dashboard();
    const aliceBackup = seen.shares.find((share) => share.user === 'alice' && share.name === 'backup');
    assert.equal(aliceBackup?.fileCount, Object.keys(FILES).length);
    assert.equal(aliceBackup?.sizeBytes, Object.values(FILES).reduce((sum, bytes) => sum + bytes.length, 0));
    assert.deepEqual(seen.users.find((user) => user.user === 'alice'), { user: 'alice', fileCount: aliceBackup?.fileCount, sizeBytes: aliceBackup?.sizeBytes });
    const schedule = (await a.admin.get('/api/admin/sync/config')).body as { nextRunAt: string | null };
    assert.ok(seen.nextRunAt);
    assert.equal(seen.nextRunAt, schedule.nextRunAt);
  });

  it("shows a peer's recovery-kit copy as on its way right after the kit is made, never as missing, until it is stored", async () => {
    const kit = await downloadKit({ url: a.test.url, certPem: a.test.server.identity.certPem }, { username: 'admin', password: 'server-a admin password' }, 'a long passphrase for the kit');
    assert.equal(kit.status, 200);
    const seen: { ok: boolean; pending: boolean; error: string | null }[] = [];
    const stored = await waitFor('the copy stored on the peer', async () => {
      const [copy] = (await a.admin.get('/api/admin/recovery-kit')).body.peers as { ok: boolean; pending: boolean; error: string | null }[];
      assert.ok(copy);
      seen.push(copy);
      return copy.ok && !copy.pending ? copy : undefined;
    });
    assert.equal(stored.error, null);
    assert.deepEqual(
      seen.filter((copy) => !copy.ok && !copy.pending && copy.error === null),
      [],
      'never read as missing while the first copy was on its way',
    );
  });

  it('cancels a running sync mid-transfer: the row says cancelled, the peer lists only what it acknowledged, and the next run completes', async () => {
    proxy.setRate('up', SLOW_RATE);
    const logId = await startAliceSync();
    await waitUntilMidTransfer(logId);

    const cancelled = await a.admin.post(`/api/admin/sync/running/${logId}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal(cancelled.body.errorCode, 'SYNC_CANCELLED');
    assert.match(cancelled.body.error, /cancelled by admin/);
    assert.deepEqual((await a.admin.get('/api/admin/sync/running')).body.running, []);
    const [row] = await waitForLogs(a.admin, [logId]);
    assert.equal(row?.status, 'cancelled');
    // a cancel is not a failure: it does not stand in the attention list
    assert.equal((await dashboard()).recentFailures?.some((failure) => failure.id === logId), false);

    const again = await a.admin.post(`/api/admin/sync/running/${logId}/cancel`);
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'SYNC_NOT_RUNNING');

    await assertPeerListsOnlyWhatItHolds();

    proxy.setRate('up', null);
    const [next] = await waitForLogs(a.admin, [await startAliceSync()]);
    assert.equal(next?.status, 'success', JSON.stringify(next));
    assert.deepEqual((await assertPeerListsOnlyWhatItHolds()).sort(), Object.keys(FILES).sort());
  });

  it("lets a user cancel their own share's sync, and nobody else's", async () => {
    await writeFiles(aliceShare, { 'videos/three.bin': randomBytes(6 * 1024 * 1024) });
    FILES['videos/three.bin'] = await readFile(path.join(aliceShare, 'videos', 'three.bin'));
    proxy.setRate('up', SLOW_RATE);
    try {
      const logId = await startAliceSync();
      await waitUntilMidTransfer(logId);
      const byBob = await bob.client.post(`/api/shares/${bob.backupShareId}/sync/${logId}/cancel`);
      assert.equal(byBob.status, 404, 'bob cannot cancel a run of a share that is not his');
      const wrongShare = await bob.client.post(`/api/shares/${alice.backupShareId}/sync/${logId}/cancel`);
      assert.equal(wrongShare.status, 404);
      const byAlice = await alice.client.post(`/api/shares/${alice.backupShareId}/sync/${logId}/cancel`);
      assert.equal(byAlice.status, 200, JSON.stringify(byAlice.body));
      assert.equal(byAlice.body.status, 'cancelled');
      assert.match(byAlice.body.error, /cancelled by alice/);
    } finally {
      proxy.setRate('up', null);
    }
    const [next] = await waitForLogs(a.admin, [await startAliceSync()]);
    assert.equal(next?.status, 'success', JSON.stringify(next));
  });

  it('cancels a bulk restore: files restored before stay, byte for byte, the report says cancelled, and a new restore finishes the job', async () => {
    await rm(aliceShare, { recursive: true, force: true });
    proxy.setRate('down', SLOW_RATE);
    let jobId: string;
    try {
      const started = await a.admin.post('/api/admin/restore', { peerId, users: ['alice'] });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      jobId = started.body.jobId as string;
      await waitFor('a first file restored', async () => {
        const job = (await a.admin.get(`/api/admin/restore/${jobId}`)).body as { status: string; filesDone: number };
        assert.equal(job.status, 'running', 'the restore ended before it was cancelled');
        return job.filesDone >= 1 ? true : undefined;
      }, 30_000);
      const cancelled = await a.admin.post(`/api/admin/restore/${jobId}/cancel`);
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.status, 'cancelled');
      assert.equal(cancelled.body.error.code, 'RESTORE_CANCELLED');
      assert.ok(cancelled.body.filesDone >= 1 && cancelled.body.filesDone < Object.keys(FILES).length, `restored ${cancelled.body.filesDone} files before the cancel`);
      assert.ok(cancelled.body.bytesDone < cancelled.body.bytesTotal, 'the report does not read as complete');
      // a file the cancel stopped halfway did not fail: the report counts it among those not restored
      assert.equal(cancelled.body.filesFailed, 0);
      const notRestored = cancelled.body.filesTotal - cancelled.body.filesDone;
      assert.deepEqual(
        cancelled.body.users[0].errors.map((error: { code: string; message: string }) => [error.code, error.message]),
        [['RESTORE_CANCELLED', `${notRestored} more file(s) were not restored: The restore was cancelled by admin`]],
      );
    } finally {
      proxy.setRate('down', null);
    }
    const present: string[] = [];
    for (const [relPath, bytes] of Object.entries(FILES)) {
      const restored = await readFile(path.join(aliceShare, ...relPath.split('/'))).catch(() => undefined);
      if (restored === undefined) continue;
      assert.ok(restored.equals(bytes), `${relPath}, restored before the cancel, is whole`);
      present.push(relPath);
    }
    assert.ok(present.length >= 1 && present.length < Object.keys(FILES).length, `files in place after the cancel: ${present.join(', ')}`);
    const again = await a.admin.post(`/api/admin/restore/${jobId}/cancel`);
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'RESTORE_NOT_RUNNING');

    const rerun = await a.admin.post('/api/admin/restore', { peerId, users: ['alice'] });
    const job = await waitForRestoreJob(a.admin, `/api/admin/restore/${rerun.body.jobId}`);
    assert.equal(job.status, 'success', JSON.stringify(job));
    for (const [relPath, bytes] of Object.entries(FILES)) {
      assert.ok((await readFile(path.join(aliceShare, ...relPath.split('/')))).equals(bytes), `${relPath} restored byte for byte`);
    }
  });

  it('follows a peer going offline and coming back within the check interval, and clears a failure once the same share and peer succeed', async () => {
    const forced = await a.admin.post('/api/admin/sync/force');
    assert.equal(forced.status, 202, JSON.stringify(forced.body));
    await waitForLogs(a.admin, forced.body.started.map((run: { logId: number }) => run.logId));
    const healthy = await waitFor('a healthy verdict', async () => {
      const seen = await dashboard();
      return seen.verdict.state === 'ok' ? seen : undefined;
    });
    assert.equal(healthy.verdict.sharesTotal, 3, 'the backup shares of admin, alice and bob');
    assert.equal(healthy.verdict.sharesBackedUp, 3);
    assert.ok(healthy.verdict.oldestBackupAt);
    const seenBefore = healthy.peers[0]?.lastSeenAt;
    assert.ok(seenBefore);

    // new connections are reset, and the ones the syncs keep open are cut: the peer is gone
    proxy.refuse(3_600);
    proxy.cut();
    const offlineSince = Date.now();
    const offline = await waitFor('the peer shown offline', async () => {
      const seen = await dashboard();
      return seen.peers[0]?.status === 'offline' ? seen : undefined;
    });
    assert.ok(Date.now() - offlineSince < CHECK_INTERVAL_MS * 5, `seen offline after ${Date.now() - offlineSince} ms`);
    assert.equal(offline.verdict.state, 'attention');
    assert.ok(offline.verdict.reasons.some((reason) => reason.code === 'PEER_NOT_ONLINE' && reason.at !== null), JSON.stringify(offline.verdict));

    // Restore with the peer offline says so, and when the backup last synced there
    const sources = (await alice.client.get('/api/restore/sources')).body.sources as { peerName: string; error?: { message: string }; syncedShares?: { share: string; lastSyncAt: string }[] }[];
    const unreachable = sources.find((source) => source.error);
    assert.ok(unreachable, JSON.stringify(sources));
    assert.deepEqual(unreachable.syncedShares?.map((synced) => synced.share), ['backup']);
    assert.ok(unreachable.syncedShares?.[0]?.lastSyncAt);

    const [failed] = await waitForLogs(a.admin, [await startAliceSync()]);
    assert.equal(failed?.status, 'failure', JSON.stringify(failed));
    const withFailure = await dashboard();
    assert.ok(withFailure.recentFailures?.some((failure) => failure.id === failed?.id));
    assert.ok(withFailure.verdict.reasons.some((reason) => reason.message.startsWith('alice/backup did not sync to server-b')), JSON.stringify(withFailure.verdict));
    // a user's overview has the verdict too, about their own shares only
    const bobSees = await dashboard(bob.client);
    assert.equal(bobSees.recentFailures, undefined);
    assert.equal(bobSees.verdict.reasons.some((reason) => reason.message.includes('alice')), false);

    proxy.refuse(0);
    const back = await waitFor('the peer shown online again', async () => {
      const seen = await dashboard();
      return seen.peers[0]?.status === 'online' ? seen : undefined;
    });
    assert.ok((back.peers[0]?.lastSeenAt ?? '') > seenBefore, 'last seen moved on');
    // the failure stays until that share and peer succeed again
    assert.ok(back.recentFailures?.some((failure) => failure.id === failed?.id));

    const [succeeded] = await waitForLogs(a.admin, [await startAliceSync()]);
    assert.equal(succeeded?.status, 'success', JSON.stringify(succeeded));
    const cleared = await dashboard();
    assert.deepEqual(cleared.recentFailures, []);
    assert.equal(cleared.verdict.state, 'ok', JSON.stringify(cleared.verdict));
  });
});
