import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { AnemoneError } from '../../src/errors/catalogue.js';
import { LocalS3 } from '../helpers/local-s3.js';
import { s3ConfigFlags } from '../helpers/receiver-stores.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';

/** A peer remembers where its sources' backups are, and will not start against another store and answer as if they were gone. */
describe('the incoming store a peer was started with', () => {
  const s3 = new LocalS3();
  let work: string;

  before(async () => {
    await s3.start();
    work = await mkdtemp(path.join(os.tmpdir(), 'anemone-store-choice-'));
  });
  after(async () => {
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  });

  const configOf = (dataDir: string, flags: Record<string, string | undefined>) =>
    loadConfig({}, { dataDir, port: 0, bind: '127.0.0.1', peerBind: '127.0.0.1', logLevel: 'warn', logFile: path.join(dataDir, 'anemone.log'), ...flags });

  it('refuses to start on the filesystem once it holds backups in a bucket, and starts again on that bucket', async () => {
    const prefix = `choice-${randomBytes(4).toString('hex')}`;
    const bDir = path.join(work, 'b');
    const a = await startNamedServer('server-a');
    const b = await startNamedServer('server-b', { acceptPassword: 'password of b', dataDir: bDir, config: s3ConfigFlags(s3, prefix) });
    try {
      const alice = await createUser(a, 'alice');
      await pairPeer(a, b, 'password of b');
      await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'a.txt': randomBytes(100) });
      assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    } finally {
      await a.test.stop();
      await b.test.server.stop();
    }
    await assert.rejects(createServer(configOf(bDir, {})), (error) => error instanceof AnemoneError && error.code === 'INCOMING_STORE_CHANGED' && /s3:anemone\/choice-.* and is now configured for fs/.test(error.message));
    await assert.rejects(createServer(configOf(bDir, { ...s3ConfigFlags(s3, 'another-prefix') } as Record<string, string>)), (error) => error instanceof AnemoneError && error.code === 'INCOMING_STORE_CHANGED');
    const again = await createServer(configOf(bDir, s3ConfigFlags(s3, prefix) as Record<string, string>));
    await again.stop();
  });

  it('refuses to start on a bucket it cannot use, saying what is wrong', async () => {
    const dataDir = path.join(work, 'fresh');
    await assert.rejects(
      createServer(configOf(dataDir, { ...(s3ConfigFlags(s3, 'x') as Record<string, string>), s3Bucket: 'missing-bucket' })),
      (error) => error instanceof AnemoneError && error.code === 'OBJECT_STORE_BUCKET_MISSING',
    );
  });
});
