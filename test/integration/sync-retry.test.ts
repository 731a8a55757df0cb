import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { LinkProxy } from '../helpers/link-proxy.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, type SyncLog, waitForLogs, writeFiles } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

type Log = SyncLog & { attempt: number };

/** Two pairs sync on schedule: the admin's backup share and alice's, each to server-b. */
const PAIRS = 2;

/**
 * Retries of a failed scheduled run, between two real servers with a proxy
 * that can refuse connections (a peer that is down). The scheduler's slot and
 * the retries' waits are timers the test fires, so the backoff takes no time.
 */
describe('sync retries after a failed scheduled run', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let peerId: number;
  let alice: { client: ApiClient; backupShareId: number };
  let clock = Date.now();
  const slotTimers = new ManualTimers();
  const retryTimers = new ManualTimers();
  const delaysMs = [5 * 60_000, 15 * 60_000, 60 * 60_000];

  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    a = await startNamedServer('server-a', {
      serverOptions: { scheduler: { now: () => new Date(clock), timers: slotTimers }, syncRetries: { delaysMs, timers: retryTimers } },
    });
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port } });
    peerId = await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
    alice = await createUser(a, 'alice');
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'notes.txt': 'hello' });
  });
  after(async () => {
    await proxy?.close();
    await a?.test.stop();
    await b?.test.stop();
  });

  /** alice's rows; the admin's share runs beside them with its own retries. */
  async function logs(): Promise<Log[]> {
    return ((await a.admin.get('/api/admin/sync/logs?limit=1000')).body.logs as Log[]).filter((log) => log.user === 'alice');
  }

  /** Waits for a row more than `known`, finished, and returns it. */
  async function nextRow(known: number): Promise<Log> {
    for (let tries = 0; tries < 400; tries++) {
      const rows = await logs();
      if (rows.length > known) {
        const [row] = await waitForLogs(a.admin, [rows[0]!.id]);
        return row as Log;
      }
      await delay(50);
    }
    throw new Error('no new sync row');
  }

  /** Moves the scheduler's clock to its next slot and fires it. */
  async function fireSlot(): Promise<void> {
    const config = (await a.admin.get('/api/admin/sync/config')).body as { nextRunAt: string };
    clock = Date.parse(config.nextRunAt);
    slotTimers.fireAll();
  }

  async function waitForPendingRetries(count = PAIRS): Promise<void> {
    for (let tries = 0; tries < 200 && retryTimers.pending.length < count; tries++) await delay(20);
  }

  it('a peer down at the slot and up at the first retry: a failure row, then a success row marked attempt 2', async () => {
    proxy.refuse(3600);
    // a session left from Test Connection would be reused: the cut makes the run connect anew
    proxy.cut();
    const known = (await logs()).length;
    await fireSlot();
    const failed = await nextRow(known);
    assert.equal(failed.status, 'failure', JSON.stringify(failed));
    assert.equal(failed.attempt, 1);
    assert.match(failed.hint ?? '', /Retrying automatically in 5 minutes \(retry 1 of 3\)/);
    await waitForPendingRetries();
    assert.deepEqual(retryTimers.pending, [delaysMs[0], delaysMs[0]], 'one retry armed per share and peer, 5 minutes on');

    proxy.refuse(0);
    retryTimers.fireAll();
    const retried = await nextRow(known + 1);
    assert.equal(retried.status, 'success', JSON.stringify(retried));
    assert.equal(retried.attempt, 2);
    await delay(200);
    assert.deepEqual(retryTimers.pending, [], 'nothing more to retry after a success');
  });

  it('backs off 5, 15, 60 minutes, then leaves it to the next slot', async () => {
    proxy.refuse(3600);
    proxy.cut();
    let known = (await logs()).length;
    await fireSlot();
    const seen: Log[] = [await nextRow(known++)];
    for (const wait of delaysMs) {
      await waitForPendingRetries();
      assert.deepEqual(retryTimers.pending, [wait, wait]);
      retryTimers.fireAll();
      seen.push(await nextRow(known++));
    }
    assert.deepEqual(
      seen.map((row) => [row.status, row.attempt]),
      [
        ['failure', 1],
        ['failure', 2],
        ['failure', 3],
        ['failure', 4],
      ],
    );
    assert.match(seen[2]!.hint ?? '', /in 60 minutes \(retry 3 of 3\)/);
    assert.doesNotMatch(seen[3]!.hint ?? '', /Retrying/);
    await delay(100);
    assert.deepEqual(retryTimers.pending, [], 'no fourth retry');
  });

  it('a Sync now supersedes the pending retry; a manual run that fails is not retried', async () => {
    proxy.refuse(3600);
    proxy.cut();
    let known = (await logs()).length;
    await fireSlot();
    await nextRow(known++);
    await waitForPendingRetries();
    assert.equal(retryTimers.pending.length, PAIRS);

    const manual = await alice.client.post(`/api/shares/${alice.backupShareId}/sync`);
    assert.equal(manual.status, 202);
    const row = await nextRow(known++);
    assert.equal(row.status, 'failure');
    assert.equal(row.attempt, 1);
    assert.doesNotMatch(row.hint ?? '', /Retrying/);
    await delay(200);
    assert.equal(retryTimers.pending.length, PAIRS - 1, "the manual run cancelled alice's retry and armed none; the admin's share keeps its own");
  });

  it('disabling the peer cancels its pending retry', async () => {
    proxy.refuse(3600);
    proxy.cut();
    const known = (await logs()).length;
    await fireSlot();
    await nextRow(known);
    await waitForPendingRetries();
    assert.equal(retryTimers.pending.length, PAIRS);
    const disabled = await a.admin.request('PATCH', `/api/admin/peers/${peerId}`, { enabled: false });
    assert.equal(disabled.status, 200);
    assert.deepEqual(retryTimers.pending, []);
  });
});
