import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { FIXTURES } from '../../test/helpers/fixtures.js';
import { FormatError, type FormatErrorCode } from './errors.js';
import {
  CHUNK_SIZE,
  createDecryptStream,
  createEncryptStream,
  decryptBuffer,
  encryptBuffer,
  fileInfo,
  manifestInfo,
  SALT_LENGTH,
  TAG_LENGTH,
  type FileContext,
} from './format-v1.js';
import { sha256Hex } from './random.js';

// the repository's copy of shared/vectors/format-v1.json (test/docs/fixtures.test.ts keeps it equal)
const vectorsPath = FIXTURES.formatVectors.copy;

type Pattern = { pattern: string; length: number };
type Context = { sourceServer: string; user: string; share: string };
type FileCase = Context & {
  kind: 'file';
  relPath: string;
  plaintext: Pattern;
  plaintextSha256: string;
  ciphertextLength: number;
  ciphertextSha256: string;
  ciphertextHex?: string;
};
type ManifestCase = Context & {
  kind: 'manifest';
  plaintextUtf8: string;
  ciphertextSha256: string;
  ciphertextHex?: string;
};
type RejectCase = { name: string; how?: string; ciphertextLength?: number; ciphertextSha256?: string; expect?: string };
type Vectors = {
  key: { base64: string };
  salt: string;
  chunk: number;
  cases: (FileCase | ManifestCase)[];
  rejectFromCase: Context & { relPath: string; length: number; each: RejectCase[] };
};

const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as Vectors;
const userKey = Buffer.from(vectors.key.base64, 'base64');
const salt = Buffer.from(vectors.salt, 'hex');
const encryptedChunkLength = CHUNK_SIZE + TAG_LENGTH;

const patterns: Record<string, (index: number) => number> = {
  '(j*31+7) mod 251': (index) => (index * 31 + 7) % 251,
};

function patternBytes({ pattern, length }: Pattern): Buffer {
  const byteAt = patterns[pattern];
  assert.ok(byteAt, `unknown plaintext pattern in the vectors: ${pattern}`);
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) bytes[index] = byteAt(index);
  return bytes;
}

async function decryptWithStream(info: Buffer, encrypted: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([encrypted]), createDecryptStream(userKey, info), async (source) => {
    for await (const chunk of source) chunks.push(chunk as Buffer);
  });
  return Buffer.concat(chunks);
}

async function encryptWithStream(info: Buffer, plaintext: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([plaintext]), createEncryptStream(userKey, info, { salt }), async (source) => {
    for await (const chunk of source) chunks.push(chunk as Buffer);
  });
  return Buffer.concat(chunks);
}

function chunkAt(encrypted: Buffer, index: number): Buffer {
  const start = SALT_LENGTH + index * encryptedChunkLength;
  return encrypted.subarray(start, start + encryptedChunkLength);
}

/** How each rejection in the vectors is made from the case's ciphertext, and the error we give. */
const rejectionBuilders: Record<string, { code: FormatErrorCode; build: (encrypted: Buffer) => { encrypted: Buffer; relPath?: string } }> = {
  'truncated at the end of chunk 2 (final chunk dropped)': {
    code: 'truncated',
    build: (encrypted) => ({ encrypted: encrypted.subarray(0, SALT_LENGTH + 3 * encryptedChunkLength) }),
  },
  'truncated by one byte': {
    code: 'auth-failed',
    build: (encrypted) => ({ encrypted: encrypted.subarray(0, encrypted.length - 1) }),
  },
  'one extra byte appended': {
    code: 'auth-failed',
    build: (encrypted) => ({ encrypted: Buffer.concat([encrypted, Buffer.from([0])]) }),
  },
  // The vector flips the lowest bit of chunk 0's sixth byte (found by its SHA-256).
  'bit flipped in chunk 0': {
    code: 'auth-failed',
    build: (encrypted) => {
      const flipped = Buffer.from(encrypted);
      flipped[SALT_LENGTH + 5] = (flipped[SALT_LENGTH + 5] as number) ^ 0x01;
      return { encrypted: flipped };
    },
  },
  'chunks 0 and 1 swapped': {
    code: 'auth-failed',
    build: (encrypted) => ({
      encrypted: Buffer.concat([
        encrypted.subarray(0, SALT_LENGTH),
        chunkAt(encrypted, 1),
        chunkAt(encrypted, 0),
        encrypted.subarray(SALT_LENGTH + 2 * encryptedChunkLength),
      ]),
    }),
  },
  'decrypted under another relPath (Photos/été café.jpg encrypted, other.jpg claimed)': {
    code: 'auth-failed',
    build: (encrypted) => ({ encrypted, relPath: 'other.jpg' }),
  },
};

describe('format v1 known-answer vectors', () => {
  it('uses the chunk size of the vectors', () => {
    assert.equal(vectors.chunk, CHUNK_SIZE);
  });

  for (const vector of vectors.cases) {
    const plaintext =
      vector.kind === 'file' ? patternBytes(vector.plaintext) : Buffer.from(vector.plaintextUtf8, 'utf8');
    const info = vector.kind === 'file' ? fileInfo(vector) : manifestInfo(vector);
    const label = vector.kind === 'file' ? `file of ${plaintext.length} bytes at ${vector.relPath}` : 'manifest';

    it(`encrypts the ${label} byte for byte`, async () => {
      if (vector.kind === 'file') {
        assert.equal(sha256Hex(plaintext), vector.plaintextSha256);
      }
      for (const encrypted of [encryptBuffer(userKey, info, plaintext, { salt }), await encryptWithStream(info, plaintext)]) {
        if (vector.kind === 'file') assert.equal(encrypted.length, vector.ciphertextLength);
        assert.equal(sha256Hex(encrypted), vector.ciphertextSha256);
        if (vector.ciphertextHex !== undefined) assert.equal(encrypted.toString('hex'), vector.ciphertextHex);
      }
    });

    it(`decrypts the ${label} back`, async () => {
      const encrypted = encryptBuffer(userKey, info, plaintext, { salt });
      assert.ok(decryptBuffer(userKey, info, encrypted).equals(plaintext));
      assert.ok((await decryptWithStream(info, encrypted)).equals(plaintext));
    });
  }

  describe('rejection cases', () => {
    const base = vectors.rejectFromCase;
    const context: FileContext = base;
    // The rejections start from the encryption case with the same path and length.
    const source = vectors.cases.find(
      (vector): vector is FileCase =>
        vector.kind === 'file' && vector.relPath === base.relPath && vector.plaintext.length === base.length,
    );
    assert.ok(source, 'the vectors hold no case that rejectFromCase is made from');
    const encrypted = encryptBuffer(userKey, fileInfo(context), patternBytes(source.plaintext), { salt });

    for (const rejection of base.each) {
      it(`rejects: ${rejection.name}`, async () => {
        const builder = rejectionBuilders[rejection.how ?? rejection.name];
        assert.ok(builder, `no builder for the rejection case "${rejection.how ?? rejection.name}"`);
        const built = builder.build(encrypted);
        if (rejection.ciphertextLength !== undefined) assert.equal(built.encrypted.length, rejection.ciphertextLength);
        if (rejection.ciphertextSha256 !== undefined) assert.equal(sha256Hex(built.encrypted), rejection.ciphertextSha256);
        const info = fileInfo({ ...context, relPath: built.relPath ?? context.relPath });
        const isExpectedError = (error: unknown) => error instanceof FormatError && error.code === builder.code;
        assert.throws(() => decryptBuffer(userKey, info, built.encrypted), isExpectedError);
        await assert.rejects(decryptWithStream(info, built.encrypted), isExpectedError);
      });
    }
  });
});
