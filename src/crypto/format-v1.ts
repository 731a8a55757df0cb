/**
 * Encrypted file format v1 (see FORMAT.md): a 12-byte salt, then the
 * plaintext in AES-256-GCM chunks whose nonce carries the chunk number and a
 * last-chunk flag, under a key derived per file version with HKDF-SHA256.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { ByteQueue } from './byte-queue.js';
import { FormatError } from './errors.js';

export const CHUNK_SIZE = 1_048_576;
export const SALT_LENGTH = 12;
export const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;
const MAX_CHUNKS = 2 ** 32;
/** The shortest valid file: a salt and one empty chunk's tag. */
export const MIN_ENCRYPTED_LENGTH = SALT_LENGTH + TAG_LENGTH;

export type FileContext = { sourceServer: string; user: string; share: string; relPath: string };
export type ManifestContext = { sourceServer: string; user: string; share: string };

export type EncryptOptions = { salt?: Buffer; chunkSize?: number };
export type DecryptOptions = { chunkSize?: number };

/**
 * `label ‖ 0x00 ‖ field(v1) ‖ field(v2) ‖ …`, where `field(x) = u32be(len(utf8(x))) ‖ utf8(x)`
 * with x in NFC, so equal-looking names derive equal keys. Written into one
 * buffer: the sender derives a key per small file, and a buffer per field
 * and per length made a dozen allocations each time.
 */
function info(label: string, values: string[]): Buffer {
  const normalized = values.map((value) => value.normalize('NFC'));
  let length = Buffer.byteLength(label, 'utf8') + 1;
  for (const value of normalized) length += 4 + Buffer.byteLength(value, 'utf8');
  const out = Buffer.allocUnsafe(length);
  let at = out.write(label, 0, 'utf8');
  out[at++] = 0;
  for (const value of normalized) {
    const bytes = out.write(value, at + 4, 'utf8');
    out.writeUInt32BE(bytes, at);
    at += 4 + bytes;
  }
  return out;
}

export function fileInfo(ctx: FileContext): Buffer {
  return info('anemone/v1/file', [ctx.sourceServer, ctx.user, ctx.share, ctx.relPath]);
}

/**
 * fileInfo for the files of one share, one after the other: the label and the
 * share's three fields are written once, each path appended to them in one
 * buffer used again (the sender derives a key per small file). `infoFor`'s
 * answer is valid until its next call.
 */
export class FileInfoWriter {
  private readonly prefixLength: number;
  private buffer: Buffer;

  constructor(ctx: ManifestContext) {
    const prefix = info('anemone/v1/file', [ctx.sourceServer, ctx.user, ctx.share]);
    this.prefixLength = prefix.length;
    this.buffer = Buffer.allocUnsafe(prefix.length + 4 + 4096);
    prefix.copy(this.buffer);
  }

  infoFor(relPath: string): Buffer {
    const path = relPath.normalize('NFC');
    const pathBytes = Buffer.byteLength(path, 'utf8');
    const length = this.prefixLength + 4 + pathBytes;
    if (length > this.buffer.length) {
      const larger = Buffer.allocUnsafe(length);
      this.buffer.copy(larger, 0, 0, this.prefixLength);
      this.buffer = larger;
    }
    this.buffer.writeUInt32BE(pathBytes, this.prefixLength);
    this.buffer.write(path, this.prefixLength + 4, 'utf8');
    return this.buffer.subarray(0, length);
  }
}

export function manifestInfo(ctx: ManifestContext): Buffer {
  return info('anemone/v1/manifest', [ctx.sourceServer, ctx.user, ctx.share]);
}

/** A manifest delta has its own label: a delta can never be opened as a manifest, nor a manifest as a delta. */
export function manifestDeltaInfo(ctx: ManifestContext): Buffer {
  return info('anemone/v1/manifest-delta', [ctx.sourceServer, ctx.user, ctx.share]);
}

/**
 * HKDF-SHA256 for a 32-byte key, by two HMACs (hkdfOneBlock) rather than
 * node:crypto's hkdfSync: the same bytes (long-info.test.ts checks them
 * against hkdfSync), for any info length (OpenSSL's HKDF refuses an info over
 * 1,024 bytes, RFC 5869 sets no such limit), and at half the cost, which a
 * sender pays once per small file (13.5 against 6.5 µs on the 2-core machines).
 */
export function deriveKey(userKey: Buffer, salt: Buffer, hkdfInfo: Buffer): Buffer {
  return hkdfOneBlock(userKey, salt, hkdfInfo);
}

/** HKDF-Expand's counter byte for the first (and only) block. */
const FIRST_BLOCK = Buffer.from([1]);

/**
 * HKDF-SHA256 as RFC 5869 writes it, for a 32-byte key (one block):
 * PRK = HMAC(salt, IKM), OKM = HMAC(PRK, info ‖ 0x01).
 */
export function hkdfOneBlock(userKey: Buffer, salt: Buffer, hkdfInfo: Buffer): Buffer {
  const prk = createHmac('sha256', salt).update(userKey).digest();
  return createHmac('sha256', prk).update(hkdfInfo).update(FIRST_BLOCK).digest();
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

/** Where a coder hands out its output, piece by piece, as soon as it is final. */
type Emit = (piece: Buffer) => void;

/**
 * Seals one file's chunks in order: the salt first (`header`), then each
 * chunk with its number and last-chunk flag in the nonce. The caller says
 * which chunk is the last; every chunk but the last must be `chunkSize` long.
 */
export class ChunkSealer {
  readonly header: Buffer;
  private readonly key: Buffer;
  private chunkIndex = 0;

  constructor(userKey: Buffer, hkdfInfo: Buffer, opts: EncryptOptions = {}) {
    const salt = opts.salt ?? randomBytes(SALT_LENGTH);
    if (salt.length !== SALT_LENGTH) {
      throw new RangeError(`salt must be ${SALT_LENGTH} bytes, got ${salt.length}`);
    }
    this.header = salt;
    this.key = deriveKey(userKey, salt, hkdfInfo);
  }

  /** The ciphertext and tag of the next chunk, given as pieces (their bytes are copied: the caller may reuse them). */
  seal(pieces: readonly Buffer[], isFinal: boolean): Buffer[] {
    const nonce = chunkNonce(this.chunkIndex, isFinal);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_LENGTH });
    const out = pieces.map((piece) => cipher.update(piece));
    out.push(cipher.final(), cipher.getAuthTag());
    this.chunkIndex += 1;
    return out;
  }
}

/**
 * Encrypts incrementally; holds back up to one chunk because a chunk's nonce
 * depends on whether more plaintext follows it.
 */
class ChunkEncryptor {
  private readonly pending = new ByteQueue();
  private headerEmitted = false;

  constructor(
    private readonly sealer: ChunkSealer,
    private readonly chunkSize: number,
    private readonly emit: Emit,
  ) {}

  write(plaintext: Buffer): void {
    this.emitHeaderOnce();
    this.pending.push(plaintext);
    // Strictly more than a chunk queued: the first chunk is known not to be the last.
    while (this.pending.length > this.chunkSize) {
      this.encryptChunk(this.pending.take(this.chunkSize), false);
    }
  }

  /** The last chunk; it is empty only when the whole plaintext was. */
  end(): void {
    this.emitHeaderOnce();
    this.encryptChunk(this.pending.take(this.pending.length), true);
  }

  private emitHeaderOnce(): void {
    if (this.headerEmitted) return;
    this.headerEmitted = true;
    this.emit(this.sealer.header);
  }

  private encryptChunk(pieces: Buffer[], isFinal: boolean): void {
    for (const piece of this.sealer.seal(pieces, isFinal)) this.emit(piece);
  }
}

/**
 * Decrypts incrementally. A chunk is final exactly when nothing follows it, so
 * one full chunk is held back until the next byte (or the end) arrives, and a
 * chunk's plaintext is emitted only once its tag verified.
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
    private readonly emit: Emit,
  ) {
    this.encryptedChunkSize = chunkSize + TAG_LENGTH;
  }

  write(data: Buffer): void {
    this.bytesRead += data.length;
    this.pending.push(data);
    if (!this.key) {
      if (this.pending.length < SALT_LENGTH) return;
      const salt = Buffer.concat(this.pending.take(SALT_LENGTH));
      this.key = deriveKey(this.userKey, salt, this.hkdfInfo);
    }
    while (this.pending.length > this.encryptedChunkSize) {
      this.decryptChunk(this.pending.take(this.encryptedChunkSize), false);
    }
  }

  end(): void {
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
    this.decryptChunk(this.pending.take(finalLength), true);
  }

  private decryptChunk(pieces: Buffer[], isFinal: boolean): void {
    const { ciphertext, tag } = splitTag(pieces);
    const plaintext = this.tryDecrypt(ciphertext, tag, isFinal);
    if (!plaintext) throw this.explainFailure(ciphertext, tag, isFinal);
    for (const piece of plaintext) this.emit(piece);
    this.chunkIndex += 1;
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

/** The last TAG_LENGTH bytes of a chunk are its tag; they may span two pieces. */
function splitTag(pieces: Buffer[]): { ciphertext: Buffer[]; tag: Buffer } {
  const queue = new ByteQueue();
  for (const piece of pieces) queue.push(piece);
  const ciphertext = queue.take(queue.length - TAG_LENGTH);
  const tagPieces = queue.take(TAG_LENGTH);
  return { ciphertext, tag: tagPieces.length === 1 ? (tagPieces[0] as Buffer) : Buffer.concat(tagPieces) };
}

type ChunkCoder = { write(data: Buffer): void; end(): void };

function coderStream(createCoder: (emit: Emit) => ChunkCoder): Transform {
  const stream = new Transform({
    // Room for a whole chunk on each side: with the 16 KiB default every 1 MiB
    // push stalls the pipe until drained, which costs about a third of throughput.
    highWaterMark: CHUNK_SIZE,
    transform(data: Buffer, _encoding, callback) {
      try {
        coder.write(data);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        coder.end();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const coder = createCoder((piece) => {
    if (piece.length > 0) stream.push(piece);
  });
  return stream;
}

/** Runs a coder over one buffer and joins its output. */
function codeBuffer(createCoder: (emit: Emit) => ChunkCoder, input: Buffer): Buffer {
  const output: Buffer[] = [];
  const coder = createCoder((piece) => output.push(piece));
  coder.write(input);
  coder.end();
  return Buffer.concat(output);
}

function encryptorFactory(userKey: Buffer, hkdfInfo: Buffer, opts: EncryptOptions): (emit: Emit) => ChunkEncryptor {
  const chunkSize = checkChunkSize(opts.chunkSize ?? CHUNK_SIZE);
  const sealer = new ChunkSealer(userKey, hkdfInfo, opts);
  return (emit) => new ChunkEncryptor(sealer, chunkSize, emit);
}

function decryptorFactory(userKey: Buffer, hkdfInfo: Buffer, opts: DecryptOptions): (emit: Emit) => ChunkCoder {
  const chunkSize = checkChunkSize(opts.chunkSize ?? CHUNK_SIZE);
  return (emit) => new ChunkDecryptor(userKey, hkdfInfo, chunkSize, emit);
}

/**
 * Plaintext in, format v1 out, in constant memory. `chunkSize` exists only so
 * tests can use tiny chunks; files in the wild always use CHUNK_SIZE.
 */
export function createEncryptStream(userKey: Buffer, hkdfInfo: Buffer, opts: EncryptOptions = {}): Transform {
  return coderStream(encryptorFactory(userKey, hkdfInfo, opts));
}

/** Format v1 in, verified plaintext out; errors with a FormatError on anything not exactly as encrypted. */
export function createDecryptStream(userKey: Buffer, hkdfInfo: Buffer, opts: DecryptOptions = {}): Transform {
  return coderStream(decryptorFactory(userKey, hkdfInfo, opts));
}

/** The nonce of a file's only chunk, made once: createCipheriv copies it, so nothing can change it. */
const ONLY_CHUNK_NONCE = chunkNonce(0, true);

/**
 * A plaintext of at most one chunk (a small file of a batch) sealed as its
 * three pieces, salt, ciphertext and tag, which concatenated are exactly
 * `encryptBuffer`'s output: the caller copies them where they go (the batch
 * being built) instead of joining them here first. `salt` must be fresh
 * random bytes used for no other file (SaltBlock hands out such salts).
 */
export function sealOneChunk(userKey: Buffer, hkdfInfo: Buffer, plaintext: Buffer, salt: Buffer = randomBytes(SALT_LENGTH)): [salt: Buffer, ciphertext: Buffer, tag: Buffer] {
  if (plaintext.length > CHUNK_SIZE) throw new RangeError(`sealOneChunk takes at most ${CHUNK_SIZE} bytes, got ${plaintext.length}`);
  if (salt.length !== SALT_LENGTH) throw new RangeError(`salt must be ${SALT_LENGTH} bytes, got ${salt.length}`);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(userKey, salt, hkdfInfo), ONLY_CHUNK_NONCE, { authTagLength: TAG_LENGTH });
  const ciphertext = cipher.update(plaintext);
  // GCM is a stream mode: final() adds nothing, every byte came out of update()
  cipher.final();
  return [salt, ciphertext, cipher.getAuthTag()];
}

/** Whole-buffer encryption, for tests and small data such as manifests; use the stream for files. */
export function encryptBuffer(userKey: Buffer, hkdfInfo: Buffer, plaintext: Buffer, opts: EncryptOptions = {}): Buffer {
  return codeBuffer(encryptorFactory(userKey, hkdfInfo, opts), plaintext);
}

/** Whole-buffer decryption, for tests and small data such as manifests; use the stream for files. */
export function decryptBuffer(userKey: Buffer, hkdfInfo: Buffer, encrypted: Buffer, opts: DecryptOptions = {}): Buffer {
  return codeBuffer(decryptorFactory(userKey, hkdfInfo, opts), encrypted);
}
