import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acceptingSource } from '../helpers/incoming-source.js';
import type { PeerTlsClient } from '../helpers/peer-tls-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SYNC_PASSWORD = 'sync password 1';

/**
 * The stores refuse links below their folder, the folders they fsync
 * included; the folder itself may be an administrator's link to another
 * disk, and keeps working.
 */
describe('incoming syncs into a folder that is a link to another disk', () => {
  let test: TestServer;
  let source: PeerTlsClient;
  let otherDisk: string;

  before(async () => {
    otherDisk = await mkdtemp(path.join(os.tmpdir(), 'anemone-other-disk-'));
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-test-'));
    await mkdir(path.join(otherDisk, 'incoming'));
    await symlink(path.join(otherDisk, 'incoming'), path.join(dataDir, 'incoming-link'));
    test = await startTestServer({ dataDir, config: { incomingDir: path.join(dataDir, 'incoming-link') } });
    ({ source } = await acceptingSource(test, 'server-b', SYNC_PASSWORD));
  });
  after(async () => {
    await source.close();
    await test.stop();
    await rm(otherDisk, { recursive: true, force: true });
  });

  it('stores a new source\'s first file and manifest on the disk the link points to', async () => {
    const bytes = randomBytes(5_000);
    assert.equal((await source.putFile('alice', 'backup', 'photos/cat.jpg.enc', bytes)).status, 204);
    const manifest = randomBytes(300);
    assert.equal((await source.putManifest('alice', 'backup', manifest)).status, 204);
    const share = path.join(otherDisk, 'incoming', 'server-b', 'alice', 'backup');
    assert.deepEqual(await readFile(path.join(share, 'photos', 'cat.jpg.enc')), bytes);
    assert.deepEqual(await readFile(path.join(share, '_manifest.json.enc')), manifest);
  });
});
