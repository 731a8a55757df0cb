/**
 * Encrypted file format v1 (see FORMAT.md): a 12-byte salt, then the
 * plaintext in AES-256-GCM chunks whose nonce carries the chunk number and a
 * last-chunk flag, under a key derived per file version with HKDF-SHA256.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { ByteQueue } from './byte-queue.js';
import { FormatError } from './errors.js';

export const CHUNK_SIZE = 1_048_576;
export const SALT_LENGTH = 12;
export const TAG_LENGTH = 16;
const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const MAX_CHUNKS = 2 ** 32;
/** The shortest valid file: a salt and one empty chunk's tag. */
export const MIN_ENCRYPTED_LENGTH = SALT_LENGTH + TAG_LENGTH;

export type FileContext = { sourceServer: string; user: string; share: string; relPath: string };
export type ManifestContext = { sourceServer: string; user: string; share: string };

export type EncryptOptions = { salt?: Buffer; chunkSize?: number };
export type DecryptOptions = { chunkSize?: number };

/** `u32be(len(utf8(x))) ‖ utf8(x)` with x in NFC, so equal-looking names derive equal keys. */
function field(value: string): Buffer {
  const utf8 = Buffer.from(value.normalize('NFC'), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(utf8.length);
  return Buffer.concat([length, utf8]);
}

function info(label: string, values: string[]): Buffer {
  return Buffer.concat([Buffer.from(label, 'utf8'), Buffer.from([0]), ...values.map(field)]);
}

export function fileInfo(ctx: FileContext): Buffer {
  return info('anemone/v1/file', [ctx.sourceServer, ctx.user, ctx.share, ctx.relPath]);
}

export function manifestInfo(ctx: ManifestContext): Buffer {
  return info('anemone/v1/manifest', [ctx.sourceServer, ctx.user, ctx.share]);
}

export function deriveKey(userKey: Buffer, salt: Buffer, hkdfInfo: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', userKey, salt, hkdfInfo, KEY_LENGTH));
}

/** `u88be(index) ‖ flag`; the flag binds "this is the last chunk" into the tag. */
export function chunkNonce(index: number, isFinal: boolean): Buffer {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CHUNKS) {
    throw new FormatError(
      'too-many-chunks',
      `Chunk ${index} is beyond the format's limit of 2^32 chunks per file`,
    );
  }
  const nonce = Buffer.alloc(NONCE_LENGTH);
  nonce.writeUInt32BE(index, 7);
  nonce[11] = isFinal ? 1 : 0;
  return nonce;
}

function checkChunkSize(chunkSize: number): number {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  return chunkSize;
}

/**
 * Encrypts incrementally; holds back up to one chunk because a chunk's nonce
 * depends on whether more plaintext follows it.
 */
class ChunkEncryptor {
  private readonly key: Buffer;
  private readonly pending = new ByteQueue();
  private salt: Buffer | undefined;
  private chunkIndex = 0;

  constructor(
    userKey: Buffer,
    hkdfInfo: Buffer,
    salt: Buffer,
    private readonly chunkSize: number,
  ) {
    if (salt.length !== SALT_LENGTH) {
      throw new RangeError(`salt must be ${SALT_LENGTH} bytes, got ${salt.length}`);
    }
    this.key = deriveKey(userKey, salt, hkdfInfo);
    this.salt = salt;
  }

  write(plaintext: Buffer): Buffer[] {
    const output = this.takeSalt();
    this.pending.push(plaintext);
    // Strictly more than a chunk queued: the first chunk is known not to be the last.
    while (this.pending.length > this.chunkSize) {
      appendAll(output, this.encryptChunk(this.pending.take(this.chunkSize), false));
    }
    return output;
  }

  /** The last chunk; it is empty only when the whole plaintext was. */
  end(): Buffer[] {
    const output = this.takeSalt();
    appendAll(output, this.encryptChunk(this.pending.take(this.pending.length), true));
    return output;
  }

  private takeSalt(): Buffer[] {
    const salt = this.salt;
    this.salt = undefined;
    return salt ? [salt] : [];
  }

  private encryptChunk(pieces: Buffer[], isFinal: boolean): Buffer[] {
    const nonce = chunkNonce(this.chunkIndex, isFinal);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_LENGTH });
    const output = pieces.map((piece) => cipher.update(piece));
    output.push(cipher.final(), cipher.getAuthTag());
    this.chunkIndex += 1;
    return output;
  }
}

/**
 * Decrypts incrementally. A chunk is final exactly when nothing follows it, so
 * one full chunk is held back until the next byte (or the end) arrives, and a
 * chunk's plaintext is returned only once its tag verified.
 */
class ChunkDecryptor {
  private readonly pending = new ByteQueue();
  private readonly encryptedChunkSize: number;
  private key: Buffer | undefined;
  private chunkIndex = 0;
  private bytesRead = 0;

  constructor(
    private readonly userKey: Buffer,
    private readonly hkdfInfo: Buffer,
    chunkSize: number,
  ) {
    this.encryptedChunkSize = chunkSize + TAG_LENGTH;
  }

  write(data: Buffer): Buffer[] {
    this.bytesRead += data.length;
    this.pending.push(data);
    if (!this.key) {
      if (this.pending.length < SALT_LENGTH) return [];
      const salt = Buffer.concat(this.pending.take(SALT_LENGTH));
      this.key = deriveKey(this.userKey, salt, this.hkdfInfo);
    }
    const output: Buffer[] = [];
    while (this.pending.length > this.encryptedChunkSize) {
      appendAll(output, this.decryptChunk(this.pending.take(this.encryptedChunkSize), false));
    }
    return output;
  }

  end(): Buffer[] {
    const finalLength = this.pending.length;
    if (!this.key || finalLength < TAG_LENGTH) {
      throw new FormatError(
        'truncated',
        `The encrypted file is incomplete: it ends after ${this.bytesRead} bytes, ` +
          `in the middle of chunk ${this.chunkIndex}`,
      );
    }
    if (finalLength === TAG_LENGTH && this.chunkIndex > 0) {
      throw new FormatError(
        'empty-final-chunk',
        `The encrypted file is damaged: its last chunk (chunk ${this.chunkIndex}) is empty, ` +
          'which this format never produces',
      );
    }
    return this.decryptChunk(this.pending.take(finalLength), true);
  }

  private decryptChunk(pieces: Buffer[], isFinal: boolean): Buffer[] {
    const { ciphertext, tag } = splitTag(pieces);
    const plaintext = this.tryDecrypt(ciphertext, tag, isFinal);
    if (plaintext) {
      this.chunkIndex += 1;
      return plaintext;
    }
    throw this.explainFailure(ciphertext, tag, isFinal);
  }

  private tryDecrypt(ciphertext: Buffer[], tag: Buffer, isFinal: boolean): Buffer[] | undefined {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.key as Buffer,
      chunkNonce(this.chunkIndex, isFinal),
      { authTagLength: TAG_LENGTH },
    );
    decipher.setAuthTag(tag);
    // update() hands out plaintext before final() has checked the tag: keep it until then.
    const plaintext = ciphertext.map((piece) => decipher.update(piece));
    try {
      plaintext.push(decipher.final());
    } catch {
      return undefined;
    }
    return plaintext;
  }

  /**
   * A full-size chunk that verifies with the opposite last-chunk flag tells
   * truncation and appended data apart from plain damage. Its plaintext is
   * never returned.
   */
  private explainFailure(ciphertext: Buffer[], tag: Buffer, isFinal: boolean): FormatError {
    const chunkLength = TAG_LENGTH + ciphertext.reduce((sum, piece) => sum + piece.length, 0);
    if (chunkLength === this.encryptedChunkSize && this.tryDecrypt(ciphertext, tag, !isFinal)) {
      return isFinal
        ? new FormatError(
            'truncated',
            `The encrypted file is incomplete: it stops after chunk ${this.chunkIndex}, ` +
              'and the chunks after it are missing',
          )
        : new FormatError(
            'trailing-data',
            `The encrypted file has extra data after its last chunk (chunk ${this.chunkIndex})`,
          );
    }
    return new FormatError(
      'auth-failed',
      'The encrypted file is damaged or was not made with this key ' +
        `(chunk ${this.chunkIndex} failed authentication)`,
    );
  }
}

/** Appends in a loop: spreading a chunk made of many tiny writes would overflow the call stack. */
function appendAll(target: Buffer[], source: Buffer[]): Buffer[] {
  for (const buffer of source) target.push(buffer);
  return target;
}

/** The last TAG_LENGTH bytes of a chunk are its tag; they may span two pieces. */
function splitTag(pieces: Buffer[]): { ciphertext: Buffer[]; tag: Buffer } {
  const queue = new ByteQueue();
  for (const piece of pieces) queue.push(piece);
  const ciphertext = queue.take(queue.length - TAG_LENGTH);
  const tagPieces = queue.take(TAG_LENGTH);
  return { ciphertext, tag: tagPieces.length === 1 ? (tagPieces[0] as Buffer) : Buffer.concat(tagPieces) };
}

type ChunkCoder = { write(data: Buffer): Buffer[]; end(): Buffer[] };

function coderStream(coder: ChunkCoder): Transform {
  return new Transform({
    // Room for a whole chunk on each side: with the 16 KiB default every 1 MiB
    // push stalls the pipe until drained, which costs about a third of throughput.
    highWaterMark: CHUNK_SIZE,
    transform(data: Buffer, _encoding, callback) {
      try {
        for (const piece of coder.write(data)) this.push(piece);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        for (const piece of coder.end()) this.push(piece);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * Plaintext in, format v1 out, in constant memory. `chunkSize` exists only so
 * tests can use tiny chunks; files in the wild always use CHUNK_SIZE.
 */
export function createEncryptStream(userKey: Buffer, hkdfInfo: Buffer, opts: EncryptOptions = {}): Transform {
  const salt = opts.salt ?? randomBytes(SALT_LENGTH);
  return coderStream(new ChunkEncryptor(userKey, hkdfInfo, salt, checkChunkSize(opts.chunkSize ?? CHUNK_SIZE)));
}

/** Format v1 in, verified plaintext out; errors with a FormatError on anything not exactly as encrypted. */
export function createDecryptStream(userKey: Buffer, hkdfInfo: Buffer, opts: DecryptOptions = {}): Transform {
  return coderStream(new ChunkDecryptor(userKey, hkdfInfo, checkChunkSize(opts.chunkSize ?? CHUNK_SIZE)));
}

/** Whole-buffer encryption, for tests and small data such as manifests; use the stream for files. */
export function encryptBuffer(userKey: Buffer, hkdfInfo: Buffer, plaintext: Buffer, opts: EncryptOptions = {}): Buffer {
  const salt = opts.salt ?? randomBytes(SALT_LENGTH);
  const encryptor = new ChunkEncryptor(userKey, hkdfInfo, salt, checkChunkSize(opts.chunkSize ?? CHUNK_SIZE));
  return Buffer.concat(appendAll(encryptor.write(plaintext), encryptor.end()));
}

/** Whole-buffer decryption, for tests and small data such as manifests; use the stream for files. */
export function decryptBuffer(userKey: Buffer, hkdfInfo: Buffer, encrypted: Buffer, opts: DecryptOptions = {}): Buffer {
  const decryptor = new ChunkDecryptor(userKey, hkdfInfo, checkChunkSize(opts.chunkSize ?? CHUNK_SIZE));
  return Buffer.concat(appendAll(decryptor.write(encrypted), decryptor.end()));
}
