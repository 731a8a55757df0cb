import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LinkProxy } from '../helpers/link-proxy.js';
import { createUser, pairPeer, startNamedServer, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const FILES = 50;
const FILE_SIZE = 100 * 1024;
/** 50 ms one way, each direction. */
const RTT_MS = 100;
/**
 * A generous cap, 1 Gbit/s each way: the proxy holds what it may queue to
 * the rate × the latency, so without a cap (16 MiB/s assumed) a 100 ms link
 * would also be a slow one.
 */
const GIGABIT = 125_000_000;
/**
 * Round trips no pipelining hides, whatever the number of files: the peer's
 * manifest before the plan, the last batch's acknowledgement, the new
 * manifest after the objects; and one of margin.
 */
const SERIAL_ROUND_TRIPS = 4;
/**
 * Pairs of runs; one within the bound passes. Four, not three: with the machine loaded (a CI run at load ~12 on
 * two cores) each serial step also waits for a core, and three pairs missed by 37–328 ms, while a link left idle
 * per batch or per file costs whole seconds here and fails every pair. (Five pairs make eleven users: the
 * server refused the eleventh one's sign-in, 401.)
 */
const ROUNDS = 4;

interface LogRow {
  id: number;
  startedAt: string;
  finishedAt: string;
}

/**
 * Issue 13 item 5: enough requests in flight that a long round trip does not
 * leave the link idle between batches and files. The same sync runs on a
 * loopback link and on a 100 ms one, through the same proxy, one after the
 * other; comparing the two keeps the bound meaningful on a loaded machine.
 */
describe('sync across a 100 ms round trip (a proxy between two real servers)', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port }, upBytesPerSecond: GIGABIT, downBytesPerSecond: GIGABIT });
    await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
  });

  after(async () => {
    await proxy?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  function setRoundTrip(ms: number): void {
    proxy.setLatency('up', ms / 2);
    proxy.setLatency('down', ms / 2);
  }

  /** A new user with FILES files in their backup share, not synced yet. */
  async function userWithFiles(username: string): Promise<{ client: ApiClient; backupShareId: number }> {
    const user = await createUser(a, username);
    const files: Record<string, Buffer> = {};
    for (let index = 0; index < FILES; index += 1) files[`photos/${index}.jpg`] = randomBytes(FILE_SIZE);
    await writeFiles(path.join(a.test.dataDir, 'shares', username, 'backup'), files);
    return user;
  }

  /** The user's first sync; returns the run's duration from its log row. */
  async function firstSync(user: { client: ApiClient; backupShareId: number }): Promise<number> {
    const response = await user.client.post(`/api/shares/${user.backupShareId}/sync`);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const logId = response.body.started[0].logId as number;
    const [log] = await waitForLogs(a.admin, [logId]);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal(log?.fileCount, FILES);
    const row = ((await a.admin.get('/api/admin/sync/logs?limit=1000')).body.logs as LogRow[]).find((entry) => entry.id === logId);
    assert.ok(row);
    return Date.parse(row.finishedAt) - Date.parse(row.startedAt);
  }

  it(`syncs ${FILES} files of ${FILE_SIZE / 1024} KiB across a 100 ms round trip in at most 1.5 times the loopback time, or a few round trips more`, async (t) => {
    // every user first (scrypt, 128 MiB each), so the syncs run back to back over the connections the first one opened
    const warmUp = await userWithFiles('warm-up');
    const near: { client: ApiClient; backupShareId: number }[] = [];
    const far: { client: ApiClient; backupShareId: number }[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      near.push(await userWithFiles(`near-${round}`));
      far.push(await userWithFiles(`far-${round}`));
    }
    // the first run pays for the JIT and the session (scrypt on the peer): not part of either figure
    await firstSync(warmUp);
    // turn about, each 100 ms run right after its loopback twin so both see the same load on the machine;
    // one round within the bound is enough: a burst of other work can slow either run of a pair, while a
    // link left idle per batch or per file (a round trip each) fails every round
    const rounds: { loopbackMs: number; wanMs: number; allowedMs: number }[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      setRoundTrip(0);
      const loopbackMs = await firstSync(near[round] as { client: ApiClient; backupShareId: number });
      setRoundTrip(RTT_MS);
      const wanMs = await firstSync(far[round] as { client: ApiClient; backupShareId: number });
      // 1.5 times holds where the run itself is slow; on a fast machine the serial round trips dominate
      rounds.push({ loopbackMs, wanMs, allowedMs: Math.max(loopbackMs * 1.5, loopbackMs + SERIAL_ROUND_TRIPS * RTT_MS) });
    }
    const text = rounds.map((r) => `${r.wanMs} ms across ${RTT_MS} ms, ${r.loopbackMs} ms on loopback (allowed ${r.allowedMs})`).join('; ');
    t.diagnostic(text);
    assert.ok(
      rounds.some((r) => r.wanMs <= r.allowedMs),
      text,
    );
  });
});
