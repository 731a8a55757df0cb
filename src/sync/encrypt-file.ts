import fs from 'node:fs';
import { Readable } from 'node:stream';
import { CHUNK_SIZE, type FileContext } from '../crypto/index.js';
import type { FsPath } from '../manifest/file-keys.js';
import { openShareFile, type ShareFileOpening, type ShareRoot } from '../scan/open-share-file.js';
import type { SkipReason } from '../scan/walk-share.js';
import { largeTransferStarted } from '../util/heap-growth.js';
import { FileChunkSealer, type ResumeFrom } from './large-files/file-chunk-sealer.js';

/**
 * A large file's ciphertext as an upload body, with what the run records of
 * it once the body ended. Made on the main thread (EncryptedFileStream) or
 * on the large files' sealing thread (large-files/seal-file-thread.ts).
 */
export interface EncryptedFile extends Readable {
  /** Plaintext bytes read so far (all of them, the scanned size, once the body ended). */
  readonly bytes: number;
  /** SHA-256 of the plaintext, once the body ended. */
  digestHex(): string;
  /** SHA-256 of the whole ciphertext (from byte 0, whatever a resumed upload's start), once the body ended. */
  ciphertextDigest(): Buffer;
  /** What went wrong on this side (the file: gone, unreadable, changed; the sealing thread), told apart from the upload's own failures. */
  readonly readError: Error | undefined;
}

/** The digests of a file read to its end. */
export interface FileDigests {
  sha256: string;
  ciphertextSha256: Buffer;
}

/** A file's digests, or an error saying it has not been read to its end (a caller's bug, never a user's problem). */
export function digestsOnceEnded(digests: FileDigests | undefined, relPath: FsPath): FileDigests {
  if (!digests) throw new Error(`The hashes of ${relPath.toString()} are known only once it was read to its end`);
  return digests;
}

/** Reads into `buffer` from `offset` to its end, at `position` in the file; resolves with the bytes read. */
function readAt(fd: number, buffer: Buffer, offset: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, offset, buffer.length - offset, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

/**
 * The encrypted stream of a large file, read once: each chunk is read into
 * the same buffer, hashed and sealed, so the only new memory per chunk is its
 * ciphertext. (Separate read, hash and encrypt streams made two fresh buffers
 * per MiB, and the garbage collector ran twice as often on the sender.)
 * Exactly `size` bytes are read: a file that grew is cut there and recorded as
 * what was sent; one that shrank fails with FileChangedError. The ciphertext
 * hash is taken by the upload itself, which sends it as the trailer.
 */
export class EncryptedFileStream extends Readable implements EncryptedFile {
  private readonly chunks: FileChunkSealer;
  private readonly buffer: Buffer;
  private digests: FileDigests | undefined;
  private fd: number | undefined;
  private offset = 0;
  private done = false;
  private reading = false;
  /** Ends this stream's share of the raised heap growth (src/util/heap-growth.ts); called once it is destroyed, ended or failed. */
  private readonly transferDone = largeTransferStarted();
  readError: Error | undefined;

  constructor(
    private readonly root: ShareRoot,
    private readonly relPath: FsPath,
    userKey: Buffer,
    context: FileContext,
    private readonly size: number,
    /** A resumed upload (see FileChunkSealer). */
    resumeFrom: ResumeFrom | undefined = undefined,
  ) {
    // room for one ciphertext chunk: the consumer takes it before the next is read
    super({ highWaterMark: CHUNK_SIZE });
    this.chunks = new FileChunkSealer(userKey, context, resumeFrom);
    this.buffer = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(1, size)));
  }

  get bytes(): number {
    return this.offset;
  }

  digestHex(): string {
    return digestsOnceEnded(this.digests, this.relPath).sha256;
  }

  ciphertextDigest(): Buffer {
    return digestsOnceEnded(this.digests, this.relPath).ciphertextSha256;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    openShareFile(this.root, this.relPath).then((opened) => {
      try {
        this.fd = openedOrThrow(this.relPath, opened);
        callback();
      } catch (error) {
        this.readError = error as Error;
        callback(this.readError);
      }
    }, callback);
  }

  override _read(): void {
    // one chunk at a time: a consumer reading during the pushes below must not start a second read into the same buffer
    if (this.reading) return;
    this.reading = true;
    this.readChunk().then(
      (pieces) => {
        this.reading = false;
        for (const piece of pieces) this.push(piece);
        if (this.done) this.push(null);
        // a chunk wholly before `startAt` pushed nothing, and the stream asks again only after a push
        else if (pieces.length === 0) this._read();
      },
      (error: Error) => {
        this.readError = error;
        this.destroy(error);
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.transferDone();
    if (this.fd === undefined) return callback(error);
    const fd = this.fd;
    this.fd = undefined;
    fs.close(fd, () => callback(error));
  }

  private async readChunk(): Promise<Buffer[]> {
    const length = Math.min(CHUNK_SIZE, this.size - this.offset);
    const chunk = this.buffer.subarray(0, length);
    let filled = 0;
    while (filled < length) {
      const bytesRead = await readAt(this.fd as number, chunk, filled, this.offset + filled);
      if (bytesRead === 0) throw new FileChangedError(this.relPath);
      filled += bytesRead;
    }
    this.offset += length;
    this.done = this.offset === this.size;
    const pieces = this.chunks.seal(chunk, this.done);
    if (this.done) this.digests = this.chunks.digests();
    return pieces;
  }
}

/** The descriptor of an opened share file, or the skip as an error the sync reports for that file alone. */
function openedOrThrow(relPath: FsPath, opened: ShareFileOpening): number {
  if ('skip' in opened) throw new ShareFileSkippedError(relPath, opened.skip, opened.detail);
  return opened.fd;
}

/** The file changed or grew while it was being read; it is skipped this time and sent next sync. */
export class FileChangedError extends Error {
  constructor(readonly relPath: FsPath) {
    super(`${relPath.toString()} changed while it was being read`);
    this.name = 'FileChangedError';
  }
}

/** openShareFile refused the file (a link, a FIFO, outside the share…): it is skipped, nothing of it was read. */
export class ShareFileSkippedError extends Error {
  constructor(
    readonly relPath: FsPath,
    readonly reason: SkipReason,
    readonly detail?: string,
  ) {
    super(`${relPath.toString()} was not read: ${reason}${detail ? ` (${detail})` : ''}`);
    this.name = 'ShareFileSkippedError';
  }
}

/** Why a file read on a sealing thread was not sent, as it crosses back to the main thread. */
export type FileReadProblem =
  /** openShareFile refused it (a link, a FIFO, gone…); nothing of it was read. */
  | { kind: 'skipped'; reason: SkipReason; detail?: string | undefined }
  /** It changed size while it was read (shorter than the scan saw, or past what a batch may carry). */
  | { kind: 'changed' }
  /** Reading it failed (an errno code, say EIO). */
  | { kind: 'failed'; code: string | undefined; message: string };

/** The error a read on the main thread raises for the same problem, so the run reports files read on a thread alike. */
export function readProblemError(fsRelPath: FsPath, problem: FileReadProblem): Error {
  switch (problem.kind) {
    case 'skipped':
      return new ShareFileSkippedError(fsRelPath, problem.reason, problem.detail);
    case 'changed':
      return new FileChangedError(fsRelPath);
    case 'failed':
      return Object.assign(new Error(problem.message), { code: problem.code });
  }
}
