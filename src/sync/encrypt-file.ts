import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { CHUNK_SIZE, ChunkSealer, fileInfo, type FileContext } from '../crypto/index.js';
import type { FsPath } from '../manifest/file-keys.js';
import { openShareFile, type ShareFileOpening, type ShareRoot } from '../scan/open-share-file.js';
import type { SkipReason } from '../scan/walk-share.js';
import { largeTransferStarted } from '../util/heap-growth.js';
import { alignedBuffer, DIRECT_READ_ALIGNMENT, openDirect, roundUp } from './direct-read.js';

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
 *
 * Chunks are read past the page cache where the system allows it
 * (./direct-read.ts), unless the caller says the file was just read: the
 * kernel's copy of each page out of the cache cost more than either hash.
 * A direct read that fails as unsupported, or comes back short, is finished
 * through the ordinary descriptor.
 */
export class EncryptedFileStream extends Readable {
  private readonly sealer: ChunkSealer;
  private readonly hash = createHash('sha256');
  private readonly ciphertextHash = createHash('sha256');
  private readonly buffer: Buffer;
  private ciphertextSha256: Buffer | undefined;
  /** Ciphertext bytes produced so far, pushed or not (see `startAt`). */
  private produced = 0;
  private fd: number | undefined;
  /** The same file opened with O_DIRECT, while direct reads work. */
  private directFd: number | undefined;
  /** Whether to read past the page cache, with a page-aligned buffer as a direct read needs. */
  private readonly canReadDirect: boolean;
  private offset = 0;
  private headerSent = false;
  private done = false;
  /** The chunk being read, while it is: the descriptors are closed only once it is done (_destroy). */
  private reading: Promise<void> | undefined;
  /** Ends this stream's share of the raised heap growth (src/util/heap-growth.ts); called once it is destroyed, ended or failed. */
  private readonly transferDone = largeTransferStarted();
  /** What went wrong on this side (the file: gone, unreadable, changed), told apart from the upload's own failures. */
  readError: Error | undefined;

  constructor(
    private readonly root: ShareRoot,
    private readonly relPath: FsPath,
    userKey: Buffer,
    context: FileContext,
    private readonly size: number,
    /**
     * A resumed upload: the salt of the version begun earlier, and the byte of
     * the ciphertext to start pushing at. The file is still read and sealed
     * from its start (local reads are cheap next to the link), so both hashes
     * cover the whole file while only the bytes from `startAt` are sent.
     */
    private readonly resumeFrom: { salt: Buffer; startAt: number } | undefined = undefined,
    /**
     * Whether to read past the page cache: false for a file this run has just
     * read (the scan hashed it to see whether it changed), whose pages the
     * cache most likely still holds — reading them from the disk again cost
     * more than the copy saves.
     */
    readPastCache = true,
  ) {
    // room for one ciphertext chunk: the consumer takes it before the next is read
    super({ highWaterMark: CHUNK_SIZE });
    this.sealer = new ChunkSealer(userKey, fileInfo(context), resumeFrom ? { salt: resumeFrom.salt } : {});
    const aligned = readPastCache ? alignedBuffer(Math.min(CHUNK_SIZE, size)) : undefined;
    this.canReadDirect = aligned !== undefined;
    this.buffer = aligned ?? Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(1, size)));
  }

  /** Plaintext bytes read so far (all of them, `size`, once the stream ended). */
  get bytes(): number {
    return this.offset;
  }

  /** SHA-256 of the plaintext, once the stream ended. */
  digestHex(): string {
    return this.hash.digest('hex');
  }

  /** SHA-256 of the whole ciphertext (from byte 0, whatever `startAt`), once the stream ended. */
  ciphertextDigest(): Buffer {
    this.ciphertextSha256 ??= this.ciphertextHash.digest();
    return this.ciphertextSha256;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    openShareFile(this.root, this.relPath).then((opened) => {
      try {
        this.fd = openedOrThrow(this.relPath, opened);
      } catch (error) {
        this.readError = error as Error;
        return callback(this.readError);
      }
      if (!this.canReadDirect) return callback();
      openDirect(this.fd).then((directFd) => {
        this.directFd = directFd;
        callback();
      }, callback);
    }, callback);
  }

  override _read(): void {
    // one chunk at a time: a consumer reading during the pushes below must not start a second read into the same buffer
    if (this.reading || this.destroyed) return;
    this.reading = this.readChunk().then(
      (pieces) => {
        this.reading = undefined;
        const kept = pieces.filter((piece) => piece.length > 0);
        for (const piece of kept) this.push(piece);
        if (this.done) this.push(null);
        // a chunk wholly before `startAt` pushed nothing, and the stream asks again only after a push
        else if (kept.length === 0) this._read();
      },
      (error: Error) => {
        this.reading = undefined;
        this.readError = error;
        this.destroy(error);
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.transferDone();
    // as fs.ReadStream does: a descriptor closed under a read in flight may, by the time the read runs, be another file's
    if (this.reading) {
      const close = () => this.closeDescriptors(error, callback);
      return void this.reading.then(close, close);
    }
    this.closeDescriptors(error, callback);
  }

  private closeDescriptors(error: Error | null, callback: (error?: Error | null) => void): void {
    this.closeDirect();
    if (this.fd === undefined) return callback(error);
    const fd = this.fd;
    this.fd = undefined;
    fs.close(fd, () => callback(error));
  }

  private closeDirect(): void {
    if (this.directFd !== undefined) fs.close(this.directFd, () => undefined);
    this.directFd = undefined;
  }

  /** Reads the chunk at `offset` past the page cache, whole blocks into the aligned buffer; returns the bytes of it read (0: read it the ordinary way). */
  private async readDirect(length: number): Promise<number> {
    if (this.directFd === undefined || length === 0) return 0;
    try {
      const bytesRead = await readAt(this.directFd, this.buffer.subarray(0, roundUp(length, DIRECT_READ_ALIGNMENT)), 0, this.offset);
      return Math.min(bytesRead, length);
    } catch (error) {
      // a file system that takes O_DIRECT at open but not this read; the ordinary descriptor reads the rest of the file
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
      this.closeDirect();
      return 0;
    }
  }

  private async readChunk(): Promise<Buffer[]> {
    const length = Math.min(CHUNK_SIZE, this.size - this.offset);
    const chunk = this.buffer.subarray(0, length);
    // a short direct read (the file shrank, or the kernel stopped early) goes on at an unaligned offset: the ordinary way
    let filled = await this.readDirect(length);
    while (filled < length) {
      const bytesRead = await readAt(this.fd as number, chunk, filled, this.offset + filled);
      if (bytesRead === 0) throw new FileChangedError(this.relPath);
      filled += bytesRead;
    }
    this.hash.update(chunk);
    this.offset += length;
    this.done = this.offset === this.size;
    const sealed = this.sealer.seal([chunk], this.done);
    const pieces = this.headerSent ? sealed : [this.sealer.header, ...sealed];
    this.headerSent = true;
    return pieces.map((piece) => this.fromStart(piece));
  }

  /** Hashes a piece of ciphertext and keeps only what lies at or after `startAt`. */
  private fromStart(piece: Buffer): Buffer {
    this.ciphertextHash.update(piece);
    const start = this.produced;
    this.produced += piece.length;
    const skip = (this.resumeFrom?.startAt ?? 0) - start;
    if (skip <= 0) return piece;
    return piece.subarray(Math.min(skip, piece.length));
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
