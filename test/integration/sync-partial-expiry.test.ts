import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { encryptedLength } from '../../src/crypto/index.js';
import { independentDecrypt } from '../helpers/independent-decrypt.js';
import { LinkProxy } from '../helpers/link-proxy.js';
import { createUser, pairPeer, startNamedServer, startSync, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const RATE = 4 * 1024 * 1024;
const FILE_SIZE = 8 * 1024 * 1024;
const CIPHERTEXT = encryptedLength(FILE_SIZE);
/** The peer keeps an untouched partial this long (24 h in production), and looks for expired ones this often. */
const EXPIRY_MS = 1_500;
const SWEEP_MS = 250;

/**
 * Issue 13 item 2: the peer keeps a partial upload for a while and removes
 * abandoned ones. Between two real servers through a link that drops: a run
 * fails half-way, its partial waits on the peer, expires, and is removed; the
 * next run then starts the file over and stores it whole.
 */
describe('an abandoned partial upload expires on the peer', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let proxy: LinkProxy;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let partialsOnB: string;
  before(async () => {
    b = await startNamedServer('server-b', { acceptPassword: 'password of b', serverOptions: { incoming: { partialExpiryMs: EXPIRY_MS, partialSweepMs: SWEEP_MS } } });
    a = await startNamedServer('server-a', { serverOptions: { uploadRetry: { attempts: 1, firstDelayMs: 200, maxDelayMs: 200 } } });
    proxy = await LinkProxy.start({ target: { host: '127.0.0.1', port: b.port }, upBytesPerSecond: RATE, upLatencyMs: 5, downLatencyMs: 5 });
    await pairPeer(a, { ...b, port: proxy.port }, 'password of b');
    alice = await createUser(a, 'alice');
    partialsOnB = path.join(b.test.dataDir, 'incoming', '.partial', 'server-a');
  });
  after(async () => {
    await proxy?.close();
    await a?.test.stop();
    await b?.test.stop();
  });

  const sync = (): Promise<number> => startSync(alice.client, alice.backupShareId);

  async function partialsHeld(): Promise<string[]> {
    return readdir(partialsOnB).catch(() => []);
  }

  it('removes the partial once it expired, and the next run sends the file whole and stores it', async () => {
    const content = randomBytes(FILE_SIZE);
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'big.bin': content });
    const logId = await sync();
    const deadline = Date.now() + 30_000;
    while (proxy.bytes.up < CIPHERTEXT * 0.5) {
      assert.ok(Date.now() < deadline, `only ${proxy.bytes.up} bytes crossed the link`);
      await delay(20);
    }
    // longer than the in-run retry: the run fails and leaves its partial on the peer
    proxy.refuse(2);
    proxy.cut();
    const [failed] = await waitForLogs(a.admin, [logId]);
    assert.equal(failed?.status, 'failure', JSON.stringify(failed));
    assert.notDeepEqual(await partialsHeld(), [], 'the failed run left a partial upload on the peer');

    const expiredBy = Date.now() + 10_000;
    while ((await partialsHeld()).length > 0) {
      assert.ok(Date.now() < expiredBy, 'the abandoned partial was never removed');
      await delay(100);
    }

    await delay(2_000); // the link refuses for 2 s from the cut
    proxy.resetCounts();
    const [log] = await waitForLogs(a.admin, [await sync()]);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    // the peer held nothing of it any more: the whole ciphertext crossed the link again
    assert.ok(proxy.bytes.up >= CIPHERTEXT, `${proxy.bytes.up} bytes sent for ${CIPHERTEXT} of ciphertext`);
    const stored = await readFile(path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup', 'big.bin.enc'));
    assert.ok(independentDecrypt(alice.key, { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'big.bin' }, stored).equals(content));
    assert.deepEqual(await partialsHeld(), [], 'no partial left on the peer');
  });
});
