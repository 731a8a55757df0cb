import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decryptBuffer, fileInfo } from '../crypto/index.js';
import { encryptSmallFile, FileChangedError } from './encrypt-file.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('encryptSmallFile', () => {
  let dir: string;
  const key = randomBytes(32);
  const context = { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'notes.txt' };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-encrypt-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fileWith(content: Buffer): Promise<string> {
    const filePath = path.join(dir, `${randomBytes(4).toString('hex')}.txt`);
    await writeFile(filePath, content);
    return filePath;
  }

  it('encrypts the file in format v1, with the hashes of both sides, reusing one buffer', async () => {
    const buffer = Buffer.alloc(64 * 1024 + 1);
    for (const length of [0, 1, 4096, 64 * 1024]) {
      const content = randomBytes(length);
      const result = await encryptSmallFile(await fileWith(content), key, context, length, buffer);
      assert.equal(result.size, length);
      assert.equal(result.sha256, sha256(content));
      assert.equal(result.ctSha256, sha256(result.body));
      assert.ok(decryptBuffer(key, fileInfo(context), result.body).equals(content), `${length} bytes round-trip`);
    }
  });

  it('records what it read when the file changed size since the scan, within the buffer', async () => {
    const buffer = Buffer.alloc(1024 + 1);
    const grown = randomBytes(700);
    const result = await encryptSmallFile(await fileWith(grown), key, context, 500, buffer);
    assert.equal(result.size, 700);
    assert.equal(result.sha256, sha256(grown));
    const shrunk = randomBytes(300);
    assert.equal((await encryptSmallFile(await fileWith(shrunk), key, context, 500, buffer)).sha256, sha256(shrunk));
  });

  it('skips a file that grew past what a batch may carry', async () => {
    const buffer = Buffer.alloc(1024 + 1);
    await assert.rejects(encryptSmallFile(await fileWith(randomBytes(5000)), key, context, 1000, buffer), FileChangedError);
    await assert.rejects(encryptSmallFile(await fileWith(randomBytes(10)), key, context, 1024 + 1, buffer), FileChangedError);
  });

  it('fails like the file system when the file is gone', async () => {
    await assert.rejects(encryptSmallFile(path.join(dir, 'missing.txt'), key, context, 10, Buffer.alloc(11)), { code: 'ENOENT' });
  });
});
