import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import { LinkProxy } from '../helpers/link-proxy.js';
import { createUser, pairPeer, startNamedServer, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';

const KIB = 1024;
const LIMIT_KIBPS = 256;
const LIMIT = LIMIT_KIBPS * KIB;
const SAMPLE_MS = 500;
/** Each window judged: long enough that one 16 KiB piece or a quarter-second burst is a few per cent of it. */
const WINDOW_MS = 3_000;
/** More than the final manifest of this share sends (its growth between two samples is not file data). */
const MANIFEST_BYTES = 16 * KIB;

interface Sample {
  at: number;
  up: number;
}

/**
 * Issue 13 item 8: the per-peer upload limit as the link sees it — bytes
 * counted by a proxy between two real servers, TLS records and HTTP framing
 * included — not as the sender's own counters report it.
 */
describe('the per-peer upload limit, measured on the wire', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let peerId: number;

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port }, upLatencyMs: 10, downLatencyMs: 10 });
    peerId = await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
  });

  after(async () => {
    await proxy?.close();
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  /**
   * Syncs `username`'s share (small files, then one streamed file) and checks the rate on the wire over every window
   * of the upload, from the first file data to the last: the final manifest, a few KiB after the last answer, is not
   * judged (with late answers the link is quiet before it by design).
   */
  async function uploadAtTheLimit(t: TestContext, username: string): Promise<void> {
    const user = await createUser(a, username);
    // 2.5 MiB: ten seconds at the limit; small files (batches) first, then one streamed file
    const files: Record<string, Buffer> = { 'video.bin': randomBytes(1536 * KIB) };
    for (let index = 0; index < 16; index += 1) files[`small/${index}.bin`] = randomBytes(64 * KIB);
    await writeFiles(path.join(a.test.dataDir, 'shares', username, 'backup'), files);

    proxy.resetCounts();
    const samples: Sample[] = [];
    const response = await user.client.post(`/api/shares/${user.backupShareId}/sync`);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const logId = response.body.started[0].logId as number;
    let finished = false;
    const done = waitForLogs(a.admin, [logId]).finally(() => (finished = true));
    // a timer's lateness on a loaded machine does not matter: each sample carries its own time
    while (!finished) {
      samples.push({ at: performance.now(), up: proxy.bytes.up });
      await delay(SAMPLE_MS);
    }
    const [log] = await done;
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal(log?.fileCount, 17);

    // the upload: from the first sample that saw the file data to the one before the last that saw it grow by more
    // than a manifest (the last interval holds only the upload's end: a window over it is short of the limit by design)
    const first = samples.findIndex((sample) => sample.up > 64 * KIB);
    const last = samples.findLastIndex((sample, index) => index > 0 && sample.up - (samples[index - 1] as Sample).up > MANIFEST_BYTES) - 1;
    assert.ok(first >= 0 && last > first, `the proxy saw the upload: ${JSON.stringify(samples)}`);
    const upload = samples.slice(first, last + 1);
    const span = (upload.at(-1) as Sample).at - (upload[0] as Sample).at;
    assert.ok(span >= 7_000, `the upload took ${span} ms, at least 7 s expected at ${LIMIT_KIBPS} KiB/s`);

    const rates: string[] = [];
    for (let start = 0; start < upload.length; start += 1) {
      const from = upload[start] as Sample;
      const to = upload.find((sample) => sample.at - from.at >= WINDOW_MS);
      if (!to) break;
      const rate = (to.up - from.up) / ((to.at - from.at) / 1000);
      rates.push(`${Math.round(rate / KIB)}`);
      // wire bytes: the body at the limit, plus TLS records and HTTP framing (well under 1 %)
      assert.ok(rate >= LIMIT * 0.8 && rate <= LIMIT * 1.2, `${Math.round(rate / KIB)} KiB/s over ${Math.round(to.at - from.at)} ms at ${Math.round(from.at - (upload[0] as Sample).at)} ms in`);
    }
    assert.ok(rates.length >= 4, `windows judged: ${rates.join(', ')} KiB/s`);
    t.diagnostic(`wire rate per ${WINDOW_MS / 1000} s window, KiB/s: ${rates.join(', ')}`);
  }

  it(`holds ${LIMIT_KIBPS} KiB/s within ±20 % over every ${WINDOW_MS / 1000} s window of a 10 s upload, batches and a streamed file alike`, async (t) => {
    const patched = await a.admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { uploadLimitKiBps: LIMIT_KIBPS });
    assert.equal(patched.status, 200);
    await uploadAtTheLimit(t, 'alice');
  });

  it('keeps the link at the limit while the peer answers late: the streamed file does not wait for the last batch\'s acknowledgement', async (t) => {
    // each answer 1.5 s late, as when the peer's disk is slow to flush the batch's files before it acknowledges them
    proxy.setLatency('down', 1_500);
    try {
      await uploadAtTheLimit(t, 'bob');
    } finally {
      proxy.setLatency('down', 10);
    }
  });
});
