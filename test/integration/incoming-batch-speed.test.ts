import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { makeSourceIdentity, PeerTlsClient } from '../helpers/peer-tls-client.js';
import { setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

const BATCHES = 10;
const FILES_PER_BATCH = 1000;

/**
 * Many small files must not cost a request, a scrypt or a serial fsync each:
 * 10,000 files of 4 KiB in batches of 1000. The bound is loose on purpose
 * (shared CI disks are slow); the rate is printed to watch for regressions.
 */
describe('incoming syncs: batches of small files are fast', () => {
  let test: TestServer;
  let source: PeerTlsClient;

  before(async () => {
    test = await startTestServer();
    const { admin } = await setUpServer(test);
    await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: 'sync password 1' });
    source = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity: await makeSourceIdentity() });
    assert.equal((await source.openSession('server-b', 'sync password 1')).status, 200);
  });
  after(async () => {
    await source.close();
    await test.stop();
  });

  it(`stores ${BATCHES * FILES_PER_BATCH} files of 4 KiB in batches of ${FILES_PER_BATCH}`, async (t) => {
    const batches = Array.from({ length: BATCHES }, (_, batch) =>
      Array.from({ length: FILES_PER_BATCH }, (_, index) => ({ path: `photos/${batch}/${index % 20}/${index}.jpg.enc`, bytes: randomBytes(4096) })),
    );
    const started = performance.now();
    for (const items of batches) {
      const response = await source.putBatch('alice', 'backup', items);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.stored, FILES_PER_BATCH);
    }
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`${Math.round((BATCHES * FILES_PER_BATCH) / seconds)} files/s (${seconds.toFixed(1)} s)`);
    assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
    const shares = await source.listShares();
    assert.equal(shares.body.shares[0].fileCount, BATCHES * FILES_PER_BATCH);
  });
});
