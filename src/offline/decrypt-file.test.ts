import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CHUNK_SIZE, encryptBuffer, fileInfo, randomKey, sha256Hex, type FileContext } from '../crypto/index.js';
import { decryptFileTo } from './decrypt-file.js';
import { DecryptError, type DecryptErrorCode } from './errors.js';

const userKey = randomKey();
const context: FileContext = { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'videos/holiday.mp4' };
// Two and a half chunks, so the file crosses chunk boundaries inside read-stream pieces.
const content = Buffer.from(Array.from({ length: 2.5 * CHUNK_SIZE }, (_, index) => (index * 13) % 256));

let dir: string;
let encPath: string;
let outPath: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-decrypt-file-'));
  encPath = path.join(dir, 'holiday.mp4.enc');
  outPath = path.join(dir, 'holiday.mp4');
  await writeFile(encPath, encryptBuffer(userKey, fileInfo(context), content));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isDecryptError(code: DecryptErrorCode) {
  return (error: unknown) => error instanceof DecryptError && error.code === code && error.message.includes(context.relPath);
}

describe('decrypting one file', () => {
  it('writes the plaintext and reports its size and SHA-256', async () => {
    const result = await decryptFileTo({ userKey, encPath, outPath, context, expectedSha256: sha256Hex(content) });
    assert.deepEqual(result, { bytes: content.length, sha256: sha256Hex(content) });
    assert.ok((await readFile(outPath)).equals(content));
    assert.deepEqual(await readdir(dir), ['holiday.mp4', 'holiday.mp4.enc']);
  });

  it('leaves nothing behind when the SHA-256 does not match', async () => {
    await assert.rejects(
      decryptFileTo({ userKey, encPath, outPath, context, expectedSha256: sha256Hex('something else') }),
      isDecryptError('checksum-mismatch'),
    );
    assert.deepEqual(await readdir(dir), ['holiday.mp4.enc']);
  });

  it('leaves nothing behind when the last chunk fails', async () => {
    const encrypted = await readFile(encPath);
    await writeFile(encPath, encrypted.subarray(0, encrypted.length - 1));
    await assert.rejects(decryptFileTo({ userKey, encPath, outPath, context }), isDecryptError('damaged'));
    assert.deepEqual(await readdir(dir), ['holiday.mp4.enc']);
  });

  it('says which file is missing', async () => {
    await rm(encPath);
    await assert.rejects(decryptFileTo({ userKey, encPath, outPath, context }), isDecryptError('missing'));
    assert.deepEqual(await readdir(dir), []);
  });
});
