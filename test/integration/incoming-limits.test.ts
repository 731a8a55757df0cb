import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acceptingSource } from '../helpers/incoming-source.js';
import type { PeerTlsClient } from '../helpers/peer-tls-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SYNC_PASSWORD = 'sync password 1';
const MAX_UPLOAD = 64 * 1024;

describe('incoming syncs: limits and start-up', () => {
  let dataDir: string;
  let test: TestServer;
  let source: PeerTlsClient;
  const shareDir = () => path.join(dataDir, 'incoming', 'server-b', 'alice', 'backup');
  const orphans = ['server-b/alice/backup/.anemone-tmp-0123abcd', 'server-b/alice/backup/deep/er/.anemone-tmp-feedbeef'];

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-limits-'));
    // what an interrupted upload leaves behind, there before the server starts
    for (const orphan of orphans) {
      await mkdir(path.join(dataDir, 'incoming', path.dirname(orphan)), { recursive: true });
      await writeFile(path.join(dataDir, 'incoming', orphan), 'half written');
    }
    await writeFile(path.join(dataDir, 'incoming', 'server-b/alice/backup/kept.enc'), 'a stored file');
    test = await startTestServer({ dataDir, keepDataDir: true, serverOptions: { incoming: { maxUploadBytes: MAX_UPLOAD } } });
    ({ source } = await acceptingSource(test, 'server-b', SYNC_PASSWORD));
  });
  after(async () => {
    await source.close();
    await test.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('removed the temporary files an interrupted upload left, and nothing else', async () => {
    const left = await readdir(path.join(dataDir, 'incoming'), { recursive: true });
    assert.deepEqual(left.filter((name) => name.includes('.anemone-tmp-')), []);
    assert.equal(await readFile(path.join(shareDir(), 'kept.enc'), 'utf8'), 'a stored file');
  });

  it('accepts an upload at the limit and answers 413 one byte over, keeping the old version', async () => {
    const atLimit = randomBytes(MAX_UPLOAD);
    assert.equal((await source.putFile('alice', 'backup', 'big.enc', atLimit)).status, 204);
    const over = randomBytes(MAX_UPLOAD + 1);
    const refused = await source.putFile('alice', 'backup', 'big.enc', over);
    assert.equal(refused.status, 413);
    assert.equal(refused.body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(await readFile(path.join(shareDir(), 'big.enc')), atLimit);
    const manifest = await source.putManifest('alice', 'backup', over);
    assert.equal(manifest.status, 413);
    // with a hash trailer, the limit counts the file, not its trailer
    assert.equal((await source.putFileWithTrailer('alice', 'backup', 'trailed.enc', atLimit)).status, 204);
    assert.equal((await source.putFileWithTrailer('alice', 'backup', 'trailed.enc', over)).status, 413);

    // far over the limit, streamed: refused without the server keeping it, and the connection still answers
    const chunks = async function* () {
      for (let sent = 0; sent < 20 * MAX_UPLOAD; sent += 16_384) yield randomBytes(16_384);
    };
    const streamed = await source.putFile('alice', 'backup', 'huge.enc', chunks(), 'a'.repeat(64));
    assert.equal(streamed.status, 413);
    assert.equal((await source.listShares()).status, 200);

    const temps = (await readdir(shareDir())).filter((name) => name.startsWith('.'));
    assert.deepEqual(temps, []);
  });
});
