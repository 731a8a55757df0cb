import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHUNK_SIZE, decryptBuffer, encryptedLength, fileInfo } from '../crypto/index.js';
import { EncryptedFileStream, encryptSmallFile, FileChangedError } from './encrypt-file.js';

async function readAll(stream: EncryptedFileStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

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

  it('streams a large file in format v1, whatever its length, with the plaintext hash', async () => {
    for (const length of [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 12_345]) {
      const content = randomBytes(length);
      const stream = new EncryptedFileStream(await fileWith(content), key, context, length);
      const encrypted = await readAll(stream);
      assert.equal(encrypted.length, encryptedLength(length), `${length} bytes: the announced length`);
      assert.ok(decryptBuffer(key, fileInfo(context), encrypted).equals(content), `${length} bytes round-trip`);
      assert.equal(stream.bytes, length);
      assert.equal(stream.digestHex(), sha256(content));
    }
  });

  it('cuts a file that grew at the scanned size, and fails one that shrank', async () => {
    const content = randomBytes(CHUNK_SIZE + 100);
    const cut = new EncryptedFileStream(await fileWith(content), key, context, CHUNK_SIZE + 10);
    assert.ok(decryptBuffer(key, fileInfo(context), await readAll(cut)).equals(content.subarray(0, CHUNK_SIZE + 10)));

    const shrunk = new EncryptedFileStream(await fileWith(content), key, context, 2 * CHUNK_SIZE);
    await assert.rejects(readAll(shrunk), FileChangedError);
    assert.equal(shrunk.bytes, CHUNK_SIZE, 'the first chunk was read, the second was short');
    assert.ok(shrunk.readError instanceof FileChangedError, 'told apart from a failed upload');
  });

  it('fails like the file system when the large file is gone', async () => {
    const gone = new EncryptedFileStream(path.join(dir, 'gone.bin'), key, context, 10);
    await assert.rejects(readAll(gone), { code: 'ENOENT' });
    assert.equal((gone.readError as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
  });
});
