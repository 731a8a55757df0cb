import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { encryptedLength } from '../../src/crypto/index.js';
import { freePort, setUpChildSource, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { independentDecrypt } from '../helpers/independent-decrypt.js';
import { LinkProxy } from '../helpers/link-proxy.js';
import { createUser, pairPeer, startNamedServer, startSync as startSyncRun, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/**
 * Resumable uploads of large files through a link that drops (a proxy between
 * two real servers). 16 MiB at 4 MiB/s: the loopback's kernel buffers (4–8
 * MiB, see sync-slow-link.test.ts) are on the sender's side of the proxy, so
 * the proxy's up count is what crossed the link; what a cut loses in them is
 * not on the wire and is sent again.
 */
const RATE = 4 * 1024 * 1024;
const FILE_SIZE = 16 * 1024 * 1024;
const CIPHERTEXT = encryptedLength(FILE_SIZE);

describe('resumable uploads of large files over a link that drops', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceShare: string;
  let onB: string;
  let partialsOnB: string;
  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    // retries after 0.3 s then 0.6 s: a cut is retried in the run; a link refused for longer fails it
    a = await startNamedServer('server-a', { serverOptions: { uploadRetry: { attempts: 2, firstDelayMs: 300, maxDelayMs: 600 } } });
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port }, upBytesPerSecond: RATE, upLatencyMs: 10, downLatencyMs: 10 });
    await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
    alice = await createUser(a, 'alice');
    aliceShare = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    onB = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    partialsOnB = path.join(b.test.dataDir, 'incoming', '.partial', 'server-a');
  });
  after(async () => {
    await proxy?.close();
    await a?.test.stop();
    await b?.test.stop();
  });

  const startSync = (): Promise<number> => startSyncRun(alice.client, alice.backupShareId);

  /** Waits until about `fraction` of the file crossed the link since `since` up-bytes. */
  async function untilSent(fraction: number, since = 0): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (proxy.bytes.up - since < CIPHERTEXT * fraction) {
      assert.ok(Date.now() < deadline, `only ${proxy.bytes.up - since} bytes crossed the link`);
      await delay(20);
    }
  }

  async function assertStoredOnB(relPath: string, content: Buffer): Promise<void> {
    const stored = await readFile(path.join(onB, `${relPath}.enc`));
    const plain = independentDecrypt(alice.key, { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath }, stored);
    assert.ok(plain.equals(content), `${relPath} on the peer decrypts to the source bytes`);
  }

  it('a cut half-way is retried within the run from what the peer holds, sending at most 1.3x the ciphertext', async () => {
    const content = randomBytes(FILE_SIZE);
    await writeFiles(aliceShare, { 'cut.bin': content });
    proxy.resetCounts();
    const logId = await startSync();
    await untilSent(0.5);
    proxy.cut();
    const [log] = await waitForLogs(a.admin, [logId]);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    const wire = proxy.bytes.up;
    console.log(`resume in run: ${FILE_SIZE} B file, ${CIPHERTEXT} B ciphertext, cut at 50 %: ${wire} B up on the wire (${(wire / CIPHERTEXT).toFixed(3)}x)`);
    assert.ok(wire <= CIPHERTEXT * 1.3, `sent ${wire} bytes for ${CIPHERTEXT} of ciphertext`);
    await assertStoredOnB('cut.bin', content);
    assert.deepEqual(await readdir(partialsOnB), [], 'no partial left on the peer');
  });

  it('a run that fails on a refused link leaves a partial that the next run continues', async () => {
    const content = randomBytes(FILE_SIZE);
    await writeFiles(aliceShare, { 'next-run.bin': content });
    proxy.resetCounts();
    const logId = await startSync();
    await untilSent(0.5);
    // longer than the two retries (0.3 + 0.6 s): this run fails, the partial stays on the peer
    proxy.refuse(3);
    proxy.cut();
    const [failed] = await waitForLogs(a.admin, [logId]);
    assert.equal(failed?.status, 'failure', JSON.stringify(failed));
    assert.match(failed?.error ?? '', /after 2 retries/);
    await delay(3_000);
    const second = await startSync();
    const [log] = await waitForLogs(a.admin, [second]);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    const wire = proxy.bytes.up;
    console.log(`resume next run: ${CIPHERTEXT} B ciphertext, cut at 50 %: ${wire} B up on the wire over both runs (${(wire / CIPHERTEXT).toFixed(3)}x)`);
    assert.ok(wire <= CIPHERTEXT * 1.3, `sent ${wire} bytes for ${CIPHERTEXT} of ciphertext`);
    await assertStoredOnB('next-run.bin', content);
  });

  it('a source file changed between the cut and the next run starts over with a new salt; the peer ends with the new content', async () => {
    const before = randomBytes(FILE_SIZE);
    await writeFiles(aliceShare, { 'changed.bin': before });
    const logId = await startSync();
    await untilSent(0.4, proxy.bytes.up);
    proxy.refuse(3);
    proxy.cut();
    const [failed] = await waitForLogs(a.admin, [logId]);
    assert.equal(failed?.status, 'failure', JSON.stringify(failed));
    const after = randomBytes(FILE_SIZE);
    await writeFiles(aliceShare, { 'changed.bin': after });
    await delay(3_000);
    const [log] = await waitForLogs(a.admin, [await startSync()]);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    await assertStoredOnB('changed.bin', after);
    assert.deepEqual(await readdir(partialsOnB), [], 'the old partial was discarded');
  });
});

describe('a source killed (kill -9) in the middle of a large upload', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('resumes the file from what the peer holds when it starts again', async () => {
    const b = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    cleanups.push(() => b.test.stop());
    const proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port }, upBytesPerSecond: RATE, upLatencyMs: 10, downLatencyMs: 10 });
    cleanups.push(() => proxy.close());
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-killed-upload-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let a: ChildServer = await startChildServer(dataDir, port);
    cleanups.push(() => a.stop());

    const { aliceKey } = await setUpChildSource(a, proxy.port);
    const content = randomBytes(FILE_SIZE);
    await writeFiles(path.join(dataDir, 'shares', 'alice', 'backup'), { 'killed.bin': content });

    const login = async (server: ChildServer) => {
      const client = server.client();
      await client.post('/api/auth/login', { username: 'alice', password: 'alice password' });
      return client;
    };
    let alice = await login(a);
    const backupId = (await alice.get('/api/shares')).body.shares.find((share: { name: string }) => share.name === 'backup').id;
    proxy.resetCounts();
    assert.equal((await alice.post(`/api/shares/${backupId}/sync`)).status, 202);
    const deadline = Date.now() + 30_000;
    while (proxy.bytes.up < CIPHERTEXT * 0.5) {
      assert.ok(Date.now() < deadline, 'the upload did not get half-way');
      await delay(20);
    }
    await a.kill();

    a = await startChildServer(dataDir, port);
    const restartedAdmin = a.client();
    await restartedAdmin.post('/api/auth/login', { username: 'admin', password: 'admin password a' });
    alice = await login(a);
    const second = await alice.post(`/api/shares/${backupId}/sync`);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    const [log] = await waitForLogs(restartedAdmin, [second.body.started[0].logId], 60_000);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    const wire = proxy.bytes.up;
    console.log(`resume after kill -9: ${CIPHERTEXT} B ciphertext, killed at 50 %: ${wire} B up on the wire over both runs (${(wire / CIPHERTEXT).toFixed(3)}x)`);
    assert.ok(wire <= CIPHERTEXT * 1.3, `sent ${wire} bytes for ${CIPHERTEXT} of ciphertext`);
    const stored = await readFile(path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup', 'killed.bin.enc'));
    assert.ok(independentDecrypt(aliceKey, { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'killed.bin' }, stored).equals(content));
  });
});
