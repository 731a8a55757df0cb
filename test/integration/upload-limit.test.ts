import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const KIB = 1024;
const EVERY_DAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Two windows that together cover every minute of the week. */
const ALWAYS_PAUSED = [
  { days: EVERY_DAY, start: '00:00', end: '23:59', mode: 'paused' },
  { days: EVERY_DAY, start: '23:59', end: '00:00', mode: 'paused' },
];

describe('upload limit per peer, between two real servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let peerId: number;

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    peerId = await pairPeer(a, b, 'password of b');
  });

  after(async () => {
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('refuses a limit or a timetable window that makes no sense, naming the field', async () => {
    const zero = await a.admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { uploadLimitKiBps: 0 });
    assert.equal(zero.status, 400);
    const noLimit = await a.admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, {
      uploadWindows: [{ days: ['mon'], start: '08:00', end: '23:00', mode: 'limit' }],
    });
    assert.equal(noLimit.status, 400);
    assert.match(JSON.stringify(noLimit.body), /Give the limit in KiB\/s/);
  });

  it('keeps uploads under the limit, for batches of small files and a streamed large file alike', async () => {
    const limitKiBps = 256;
    const patched = await a.admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { uploadLimitKiBps: limitKiBps });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.uploadLimitKiBps, limitKiBps);
    const files: Record<string, Buffer> = { 'large.bin': randomBytes(1280 * KIB) };
    for (let index = 0; index < 16; index += 1) files[`small/${index}.bin`] = randomBytes(16 * KIB);
    await writeFiles(aliceBackup, files);

    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.equal(log?.fileCount, 17);
    const row = (await a.admin.get(`/api/admin/sync/logs?limit=1`)).body.logs[0];
    const seconds = (Date.parse(row.finishedAt) - Date.parse(row.startedAt)) / 1000;
    const floor = (log?.bytesTransferred ?? 0) / (limitKiBps * KIB);
    // the limit holds: never much faster than the bytes allow (a bucket burst is a quarter second)
    assert.ok(seconds >= floor * 0.8, `${log?.bytesTransferred} bytes in ${seconds} s at ${limitKiBps} KiB/s`);
  });

  it('stops uploads during a paused window as interrupted, and the next run after the pause finishes the job', async () => {
    const paused = await a.admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { uploadLimitKiBps: null, uploadWindows: ALWAYS_PAUSED });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.uploadWindows.length, 2);
    await writeFiles(aliceBackup, { 'during-pause.txt': 'written while uploads are paused' });

    const [held] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(held?.status, 'interrupted', JSON.stringify(held));
    assert.equal(held?.errorCode, 'UPLOAD_PAUSED');
    assert.match(held?.error ?? '', /paused by its timetable/);

    await a.admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { uploadWindows: [] });
    const [resumed] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(resumed?.status, 'success', JSON.stringify(resumed));
    assert.equal(resumed?.fileCount, 1);
  });
});
