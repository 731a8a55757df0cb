import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, describeIncomingStore, loadConfig } from './config.js';

describe('the incoming store settings', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-s3-config-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const s3 = { ANEMONE_INCOMING_STORE: 's3', ANEMONE_S3_BUCKET: 'backups' };

  it('keeps received backups on the filesystem unless told otherwise', () => {
    assert.deepEqual(loadConfig({}).incomingStore, { kind: 'fs' });
  });

  it('reads a bucket from the environment, flags winning', () => {
    const config = loadConfig(
      { ...s3, ANEMONE_S3_ENDPOINT: 'http://minio.lan:9000', ANEMONE_S3_FORCE_PATH_STYLE: 'true', ANEMONE_S3_PREFIX: 'anemone/peer', ANEMONE_S3_ACCESS_KEY_ID: 'id', ANEMONE_S3_SECRET_ACCESS_KEY: 'secret' },
      { s3Region: 'garage' },
    );
    assert.deepEqual(config.incomingStore, {
      kind: 's3',
      location: { endpoint: 'http://minio.lan:9000', region: 'garage', bucket: 'backups', prefix: 'anemone/peer', forcePathStyle: true, accessKeyId: 'id', secretAccessKey: 'secret' },
    });
    assert.equal(describeIncomingStore(config.incomingStore), 's3 http://minio.lan:9000 backups/anemone/peer', 'the description names no secret');
  });

  it('reads the key id and secret from files (Docker secrets), trimmed', async () => {
    await writeFile(path.join(dir, 'id'), 'file-id\n');
    await writeFile(path.join(dir, 'secret'), 'file-secret\n');
    const config = loadConfig({ ...s3, ANEMONE_S3_ACCESS_KEY_ID_FILE: path.join(dir, 'id'), ANEMONE_S3_SECRET_ACCESS_KEY_FILE: path.join(dir, 'secret') });
    assert.equal(config.incomingStore.kind === 's3' && config.incomingStore.location.secretAccessKey, 'file-secret');
    assert.equal(config.incomingStore.kind === 's3' && config.incomingStore.location.accessKeyId, 'file-id');
  });

  it('says what is missing or contradictory', () => {
    assert.throws(() => loadConfig({ ANEMONE_INCOMING_STORE: 's3' }), (error) => error instanceof ConfigError && /needs ANEMONE_S3_BUCKET/.test(error.message));
    assert.throws(() => loadConfig({ ANEMONE_INCOMING_STORE: 'nfs' }), /ANEMONE_INCOMING_STORE/);
    assert.throws(() => loadConfig({ ...s3, ANEMONE_S3_ACCESS_KEY_ID: 'id' }), /go together/);
    assert.throws(() => loadConfig({ ...s3, ANEMONE_S3_SECRET_ACCESS_KEY: 's', ANEMONE_S3_SECRET_ACCESS_KEY_FILE: path.join(dir, 'secret'), ANEMONE_S3_ACCESS_KEY_ID: 'id' }), /both set/);
    assert.throws(() => loadConfig({ ...s3, ANEMONE_S3_ACCESS_KEY_ID: 'id', ANEMONE_S3_SECRET_ACCESS_KEY_FILE: path.join(dir, 'missing') }), /cannot be read \(ENOENT\)/);
    assert.throws(() => loadConfig({ ...s3, ANEMONE_S3_PREFIX: '/leading' }), /ANEMONE_S3_PREFIX/);
    assert.throws(() => loadConfig({ ...s3, ANEMONE_S3_BUCKET: 'Not_A_Bucket' }), /ANEMONE_S3_BUCKET/);
    assert.throws(() => loadConfig({ ...s3, ANEMONE_S3_ENDPOINT: 'minio:9000/' }), /ANEMONE_S3_ENDPOINT/);
  });

  it('never puts the secret in an error message', () => {
    assert.throws(
      () => loadConfig({ ...s3, ANEMONE_S3_ACCESS_KEY_ID: 'id', ANEMONE_S3_SECRET_ACCESS_KEY: 'x'.repeat(300) }),
      (error) => error instanceof ConfigError && !error.message.includes('x'.repeat(300)) && /ANEMONE_S3_SECRET_ACCESS_KEY/.test(error.message),
    );
  });
});
