import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { LinkProxy } from '../helpers/link-proxy.js';
import { createUser, pairPeer, startNamedServer, startSync as startSyncRun, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/**
 * The link from A to B, and a file that takes longer than the peer timeout to
 * cross it. On loopback (64 KiB segments) the kernel takes 4 to 8 MiB of an
 * upload at once (the sender's send buffer, the proxy's receive buffer), sent
 * over the next seconds: the rate is set so that this drains well within the
 * timeout, as a real uplink's far smaller buffers do.
 */
const RATE = 3 * 1024 * 1024;
const FILE_SIZE = 24 * 1024 * 1024;
const TIMEOUT_SECONDS = 5;

interface RunningSync {
  logId: number;
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
}

describe('sync over a slow link (a throttling proxy between two real servers)', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let alice: { client: ApiClient; backupShareId: number };
  let aliceShare: string;
  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    a = await startNamedServer('server-a');
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port }, upBytesPerSecond: RATE, upLatencyMs: 10, downLatencyMs: 10 });
    const peerId = await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
    // the API takes whole minutes; a timeout of seconds keeps the test short
    const peer = a.test.server.repos.peers.findById(peerId);
    assert.ok(peer);
    a.test.server.repos.peers.updateSettings(peerId, { ...peer, timeoutMinutes: TIMEOUT_SECONDS / 60 });
    alice = await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
  });
  after(async () => {
    await proxy?.close();
    await a?.test.stop();
    await b?.test.stop();
  });

  const startSync = (): Promise<number> => startSyncRun(alice.client, alice.backupShareId);

  async function runningSync(logId: number): Promise<RunningSync | undefined> {
    const running = (await a.admin.get('/api/admin/sync/running')).body.running as RunningSync[];
    return running.find((run) => run.logId === logId);
  }

  it('finishes a file whose upload outlasts the peer timeout while its bytes keep moving, showing them, the rate and the time left', async () => {
    await writeFiles(aliceShare, { 'video-1.bin': randomBytes(FILE_SIZE) });
    const started = Date.now();
    const logId = await startSync();
    const seen: (RunningSync & { seenAt: number })[] = [];
    for (let run = await runningSync(logId); run; run = await runningSync(logId)) {
      if (run.phase === 'uploading') seen.push({ ...run, seenAt: Date.now() });
      await delay(250);
    }
    const [log] = await waitForLogs(a.admin, [logId]);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.ok(Date.now() - started > TIMEOUT_SECONDS * 1000, 'the upload outlasted the timeout');

    const moving = seen.filter((run) => run.bytesDone > 0 && run.bytesDone < FILE_SIZE);
    const distinct = [...new Set(moving.map((run) => run.bytesDone))];
    assert.ok(distinct.length >= 3, `bytesDone took ${distinct.length} values while the file streamed: ${distinct.join(', ')}`);
    for (let index = 1; index < moving.length; index++) {
      assert.ok((moving[index]?.bytesDone ?? 0) >= (moving[index - 1]?.bytesDone ?? 0), 'bytesDone never goes back');
    }
    // the rate covers the last 3 s: once the kernel's first gulp has left that window, it is the link's
    const firstMoving = moving[0]?.seenAt ?? 0;
    const steady = moving.filter((run) => run.seenAt - firstMoving >= 4_000 && run.bytesPerSecond !== null);
    assert.ok(steady.length > 0, `a steady rate was shown: ${JSON.stringify(moving.map(({ seenAt, bytesDone, bytesPerSecond }) => ({ seenAt, bytesDone, bytesPerSecond })))}`);
    const rates = steady.map((run) => run.bytesPerSecond ?? 0).sort((x, y) => x - y);
    const rate = rates[Math.floor(rates.length / 2)] ?? 0;
    assert.ok(rate > RATE * 0.6 && rate < RATE * 1.5, `rate ${rate} B/s through a ${RATE} B/s link (${rates.join(', ')})`);
    const eta = steady.at(-1)?.etaSeconds;
    assert.ok(typeof eta === 'number' && eta >= 0 && eta < 30, `time left ${eta} s`);
  });

  it('still stops a run whose peer goes silent in the middle of a file (SYNC_TIMEOUT)', async () => {
    await writeFiles(aliceShare, { 'video-2.bin': randomBytes(8 * 1024 * 1024) });
    const logId = await startSync();
    for (let run = await runningSync(logId); !run || run.phase !== 'uploading' || run.bytesDone === 0; run = await runningSync(logId)) {
      assert.ok(run, 'the sync ended before the file started');
      await delay(50);
    }
    proxy.pause();
    const pausedAt = Date.now();
    try {
      const [log] = await waitForLogs(a.admin, [logId]);
      assert.equal(log?.status, 'failure', JSON.stringify(log));
      assert.equal(log?.errorCode, 'SYNC_TIMEOUT', JSON.stringify(log));
      // the kernel's buffers keep taking bytes for a moment after the pause; at most a piece left just before it
      assert.ok(Date.now() - pausedAt >= TIMEOUT_SECONDS * 1000 - 500, `stopped ${Date.now() - pausedAt} ms after the pause`);
    } finally {
      proxy.resume();
    }
    while (await runningSync(logId)) await delay(20);
  });
});
