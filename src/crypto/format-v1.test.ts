import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import type { Transform } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encryptedLength } from './encrypted-length.js';
import { FormatError, type FormatErrorCode } from './errors.js';
import {
  chunkNonce,
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  deriveKey,
  encryptBuffer,
  fileInfo,
  FileInfoWriter,
  manifestInfo,
  MIN_ENCRYPTED_LENGTH,
  SALT_LENGTH,
  sealOneChunk,
  TAG_LENGTH,
  CHUNK_SIZE,
  type FileContext,
} from './format-v1.js';

// Tiny chunks so that every offset and every chunk boundary can be tried.
const chunkSize = 16;
const encryptedChunkLength = chunkSize + TAG_LENGTH;
const userKey = randomBytes(32);
const context: FileContext = { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'photos/cat.jpg' };
const info = fileInfo(context);

function plaintextOf(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => (index * 7 + 3) % 256));
}

function encrypt(plaintext: Buffer): Buffer {
  return encryptBuffer(userKey, info, plaintext, { chunkSize });
}

function decrypt(encrypted: Buffer, decryptInfo = info, key = userKey): Buffer {
  return decryptBuffer(key, decryptInfo, encrypted, { chunkSize });
}

function encryptedChunks(encrypted: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = SALT_LENGTH; start < encrypted.length; start += encryptedChunkLength) {
    chunks.push(encrypted.subarray(start, start + encryptedChunkLength));
  }
  return chunks;
}

function withChunks(encrypted: Buffer, chunks: Buffer[]): Buffer {
  return Buffer.concat([encrypted.subarray(0, SALT_LENGTH), ...chunks]);
}

/** Feeds `pieces` to the stream; returns everything it emitted, and its error if it failed. */
function runStream(stream: Transform, pieces: Buffer[]): Promise<{ output: Buffer; error: unknown }> {
  return new Promise((resolve) => {
    const emitted: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => emitted.push(chunk));
    stream.on('end', () => resolve({ output: Buffer.concat(emitted), error: undefined }));
    stream.on('error', (error) => resolve({ output: Buffer.concat(emitted), error }));
    for (const piece of pieces) stream.write(piece);
    stream.end();
  });
}

function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    pieces.push(data.subarray(start, point));
    start = point;
  }
  return pieces;
}

function assertRejected(encrypted: Buffer, code?: FormatErrorCode, decryptInfo = info, key = userKey): void {
  assert.throws(
    () => decrypt(encrypted, decryptInfo, key),
    (error: unknown) => error instanceof FormatError && (code === undefined || error.code === code),
  );
}

/** The stream may only have released whole chunks that verified, all before the damaged one. */
async function assertStreamReleasesOnlyVerifiedChunks(encrypted: Buffer, plaintext: Buffer): Promise<void> {
  const { output, error } = await runStream(createDecryptStream(userKey, info, { chunkSize }), [encrypted]);
  assert.ok(error instanceof FormatError);
  assert.equal(output.length % chunkSize, 0);
  assert.ok(output.equals(plaintext.subarray(0, output.length)));
}

describe('format v1 with tiny chunks', () => {
  it('round-trips every length from 0 to several chunks, exact multiples included', () => {
    for (let length = 0; length <= 5 * chunkSize + 1; length += 1) {
      const plaintext = plaintextOf(length);
      const encrypted = encrypt(plaintext);
      assert.equal(encrypted.length, encryptedLength(length, chunkSize));
      assert.ok(decrypt(encrypted).equals(plaintext), `length ${length}`);
    }
  });

  it('encrypts an empty input to exactly 28 bytes at the real chunk size', () => {
    const encrypted = encryptBuffer(userKey, info, Buffer.alloc(0));
    assert.equal(encrypted.length, MIN_ENCRYPTED_LENGTH);
    assert.equal(decryptBuffer(userKey, info, encrypted).length, 0);
  });

  it('gives the same result through streams fed in random pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 6 * chunkSize }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (bytes, plaintextCuts, encryptedCuts) => {
          const plaintext = Buffer.from(bytes);
          const salt = randomBytes(SALT_LENGTH);
          const expected = encryptBuffer(userKey, info, plaintext, { chunkSize, salt });
          const encrypted = await runStream(
            createEncryptStream(userKey, info, { chunkSize, salt }),
            splitAt(plaintext, plaintextCuts),
          );
          assert.equal(encrypted.error, undefined);
          assert.ok(encrypted.output.equals(expected));
          const decrypted = await runStream(
            createDecryptStream(userKey, info, { chunkSize }),
            splitAt(expected, encryptedCuts),
          );
          assert.equal(decrypted.error, undefined);
          assert.ok(decrypted.output.equals(plaintext));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects truncation at every offset', async () => {
    for (const length of [0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3 * chunkSize, 3 * chunkSize + 5]) {
      const plaintext = plaintextOf(length);
      const encrypted = encrypt(plaintext);
      for (let cut = 0; cut < encrypted.length; cut += 1) {
        assertRejected(encrypted.subarray(0, cut));
        await assertStreamReleasesOnlyVerifiedChunks(encrypted.subarray(0, cut), plaintext);
      }
    }
  });

  it('names truncation for input shorter than a salt and an empty chunk', () => {
    assertRejected(encrypt(Buffer.alloc(0)).subarray(0, MIN_ENCRYPTED_LENGTH - 1), 'truncated');
  });

  it('names truncation when whole chunks are missing from the end', () => {
    const encrypted = encrypt(plaintextOf(3 * chunkSize + 5));
    assertRejected(encrypted.subarray(0, SALT_LENGTH + 2 * encryptedChunkLength), 'truncated');
  });

  it('rejects a flipped bit at every position', async () => {
    const plaintext = plaintextOf(3 * chunkSize + 2);
    const encrypted = encrypt(plaintext);
    for (let bit = 0; bit < encrypted.length * 8; bit += 1) {
      const damaged = Buffer.from(encrypted);
      const byteIndex = bit >> 3;
      damaged[byteIndex] = (damaged[byteIndex] as number) ^ (1 << (bit & 7));
      assertRejected(damaged, 'auth-failed');
      await assertStreamReleasesOnlyVerifiedChunks(damaged, plaintext);
    }
  });

  it('releases exactly the chunks before a damaged chunk, never any of the damaged one', async () => {
    const plaintext = plaintextOf(4 * chunkSize);
    const encrypted = encrypt(plaintext);
    for (let damagedChunk = 0; damagedChunk < 4; damagedChunk += 1) {
      const damaged = Buffer.from(encrypted);
      const byteIndex = SALT_LENGTH + damagedChunk * encryptedChunkLength + 3;
      damaged[byteIndex] = (damaged[byteIndex] as number) ^ 0xff;
      const { output, error } = await runStream(createDecryptStream(userKey, info, { chunkSize }), [damaged]);
      assert.ok(error instanceof FormatError && error.code === 'auth-failed');
      assert.match(error.message, new RegExp(`chunk ${damagedChunk} failed authentication`));
      assert.ok(output.equals(plaintext.subarray(0, damagedChunk * chunkSize)));
    }
  });

  it('rejects swapped, duplicated and dropped chunks', () => {
    const encrypted = encrypt(plaintextOf(4 * chunkSize - 3));
    const chunks = encryptedChunks(encrypted);
    assert.equal(chunks.length, 4);
    for (let first = 0; first < chunks.length; first += 1) {
      const dropped = chunks.filter((_, index) => index !== first);
      assertRejected(withChunks(encrypted, dropped));
      const duplicated = chunks.flatMap((chunk, index) => (index === first ? [chunk, chunk] : [chunk]));
      assertRejected(withChunks(encrypted, duplicated));
      for (let second = first + 1; second < chunks.length; second += 1) {
        const swapped = [...chunks];
        swapped[first] = chunks[second] as Buffer;
        swapped[second] = chunks[first] as Buffer;
        assertRejected(withChunks(encrypted, swapped));
      }
    }
  });

  it('rejects an empty final chunk after full ones, even with a valid tag', () => {
    const salt = randomBytes(SALT_LENGTH);
    const key = deriveKey(userKey, salt, info);
    const sealChunk = (index: number, isFinal: boolean, plaintext: Buffer) => {
      const cipher = createCipheriv('aes-256-gcm', key, chunkNonce(index, isFinal), { authTagLength: TAG_LENGTH });
      return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    };
    const encrypted = Buffer.concat([salt, sealChunk(0, false, plaintextOf(chunkSize)), sealChunk(1, true, Buffer.alloc(0))]);
    assertRejected(encrypted, 'empty-final-chunk');
  });

  it('rejects data appended after the final chunk', () => {
    for (const length of [0, 5, chunkSize, 2 * chunkSize, 2 * chunkSize + 5]) {
      const encrypted = encrypt(plaintextOf(length));
      for (const extra of [Buffer.from([0]), randomBytes(TAG_LENGTH), randomBytes(encryptedChunkLength)]) {
        assertRejected(Buffer.concat([encrypted, extra]));
      }
    }
  });

  it('names appended data when the final chunk was full', () => {
    const encrypted = encrypt(plaintextOf(2 * chunkSize));
    assertRejected(Buffer.concat([encrypted, Buffer.from([0])]), 'trailing-data');
  });

  it('rejects decryption under any other source server, user, share or path', () => {
    const encrypted = encrypt(plaintextOf(40));
    for (const field of ['sourceServer', 'user', 'share', 'relPath'] as const) {
      assertRejected(encrypted, 'auth-failed', fileInfo({ ...context, [field]: `${context[field]}x` }));
    }
    assertRejected(encrypted, 'auth-failed', manifestInfo(context));
  });

  it('rejects decryption with another key', () => {
    assertRejected(encrypt(plaintextOf(40)), 'auth-failed', info, randomBytes(32));
  });

  it('uses a fresh salt for every encryption', () => {
    const plaintext = plaintextOf(10);
    assert.notDeepEqual(encrypt(plaintext).subarray(0, SALT_LENGTH), encrypt(plaintext).subarray(0, SALT_LENGTH));
  });
});

describe('format v1 building blocks', () => {
  it('puts the chunk number big-endian in 11 bytes and the last-chunk flag in the 12th', () => {
    assert.equal(chunkNonce(0, false).toString('hex'), '000000000000000000000000');
    assert.equal(chunkNonce(0x01020304, true).toString('hex'), '000000000000000102030401');
    assert.equal(chunkNonce(2 ** 32 - 1, false).toString('hex'), '00000000000000ffffffff00');
  });

  it('refuses a chunk number of 2^32 or more', () => {
    assert.throws(
      () => chunkNonce(2 ** 32, false),
      (error: unknown) => error instanceof FormatError && error.code === 'too-many-chunks',
    );
  });

  it('lays out the file info as label, zero byte and length-prefixed fields', () => {
    const expected = Buffer.concat([
      Buffer.from('anemone/v1/file\0'),
      ...['s', 'u', 'sh', 'a/b'].map((value) => Buffer.concat([Buffer.from([0, 0, 0, value.length]), Buffer.from(value)])),
    ]);
    assert.ok(fileInfo({ sourceServer: 's', user: 'u', share: 'sh', relPath: 'a/b' }).equals(expected));
  });

  it('normalises names to NFC so composed and decomposed accents give one key', () => {
    const composed = fileInfo({ ...context, relPath: 'Photos/\u00e9t\u00e9.jpg' });
    const decomposed = fileInfo({ ...context, relPath: 'Photos/e\u0301te\u0301.jpg' });
    assert.ok(composed.equals(decomposed));
  });

  it('counts a field\'s length in UTF-8 bytes of its NFC form', () => {
    const built = fileInfo({ sourceServer: 'é', user: '日本', share: 's', relPath: 'e\u0301.txt' });
    const expected = Buffer.concat([
      Buffer.from('anemone/v1/file\0'),
      ...['é', '日本', 's', 'é.txt'].map((value) => {
        const utf8 = Buffer.from(value, 'utf8');
        return Buffer.concat([Buffer.from([0, 0, 0, utf8.length]), utf8]);
      }),
    ]);
    assert.ok(built.equals(expected));
  });
});

describe('FileInfoWriter', () => {
  it('writes the same info as fileInfo for every path, one after the other', () => {
    const share = { sourceServer: 'é-server', user: '日本', share: 'backup' };
    const writer = new FileInfoWriter(share);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (relPath) => {
        assert.ok(writer.infoFor(relPath).equals(fileInfo({ ...share, relPath })));
      }),
    );
  });

  it('normalises the path to NFC and takes paths longer than its first buffer', () => {
    const writer = new FileInfoWriter(context);
    assert.ok(writer.infoFor('Photos/e\u0301te\u0301.jpg').equals(fileInfo({ ...context, relPath: 'Photos/\u00e9t\u00e9.jpg' })));
    const longPath = `${'folder/'.repeat(900)}file`;
    assert.ok(writer.infoFor(longPath).equals(fileInfo({ ...context, relPath: longPath })));
    // a short one after the long one: the share's part kept when the buffer grew
    assert.ok(writer.infoFor('a').equals(fileInfo({ ...context, relPath: 'a' })));
  });
});

describe('sealOneChunk', () => {
  it('gives salt, ciphertext and tag that joined are a format v1 file of the plaintext', () => {
    for (const length of [0, 1, 4096, CHUNK_SIZE]) {
      const plaintext = randomBytes(length);
      const pieces = sealOneChunk(userKey, fileInfo(context), plaintext);
      assert.deepEqual(pieces.map((piece) => piece.length), [SALT_LENGTH, length, TAG_LENGTH]);
      const joined = Buffer.concat(pieces);
      assert.ok(decryptBuffer(userKey, fileInfo(context), joined).equals(plaintext), `${length} bytes round-trip`);
      // the same bytes encryptBuffer makes with that salt
      assert.ok(joined.equals(encryptBuffer(userKey, fileInfo(context), plaintext, { salt: pieces[0] })));
    }
  });

  it('draws a fresh salt every time', () => {
    const plaintext = Buffer.from('same bytes');
    assert.notDeepEqual(sealOneChunk(userKey, info, plaintext)[0], sealOneChunk(userKey, info, plaintext)[0]);
  });

  it('refuses more than one chunk of plaintext', () => {
    assert.throws(() => sealOneChunk(userKey, info, Buffer.alloc(CHUNK_SIZE + 1)), RangeError);
  });
});
