import { closeSync, constants, fsync, open, unlink, writev } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { sha256Hex } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { asStorageError } from './fs-errors.js';
import { TEMP_PREFIX, diskWriteStream, type WriteStreamFactory } from './temp-file.js';

/**
 * Creates `filePath` (never an existing file), writes `chunks` to it and
 * flushes it to disk, then calls `done` (with the error, if any). On failure
 * the file may be left behind; the caller removes it. A callback rather than
 * a promise: a batch writes thousands of small files, and each promise and
 * its reactions were work per file for the main thread and its collector.
 */
export type SmallFileWriter = (filePath: string, chunks: readonly Buffer[], done: (error: unknown) => void) => void;

/** As 'wx' (never an existing file), and never through a symbolic link planted at the name. */
const CREATE_NEW_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
/** writev takes at most IOV_MAX (1,024 on Linux) buffers per call. */
const MAX_BUFFERS_PER_WRITE = 1024;

/**
 * The real disk's writer: open, write and fsync through node:fs callbacks,
 * three trips through libuv's pool and no stream object (a WriteStream per
 * small file was most of the receiver's cost per file).
 */
export const writeNewFileDurably: SmallFileWriter = (filePath, chunks, done) => {
  open(filePath, CREATE_NEW_NO_FOLLOW, 0o600, (openError, fd) => {
    if (openError) return done(openError);
    // synchronous: after the fsync (or a failed write) closing waits on nothing, a trip through the pool would cost more
    const closeThen = (error: unknown) => {
      try {
        closeSync(fd);
      } catch (closeError) {
        error ??= closeError;
      }
      done(error);
    };
    const writeFrom = (pieces: readonly Buffer[]) => {
      if (pieces.length === 0) return fsync(fd, (syncError) => closeThen(syncError ?? undefined));
      writev(fd, pieces.length > MAX_BUFFERS_PER_WRITE ? pieces.slice(0, MAX_BUFFERS_PER_WRITE) : pieces, (writeError, written) => {
        if (writeError) return closeThen(writeError);
        writeFrom(afterBytes(pieces, written));
      });
    };
    writeFrom(chunks);
  });
};

/** What remains of `pieces` once their first `bytes` were written (a short write leaves part of a piece). */
function afterBytes(pieces: readonly Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = bytes;
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    rest.push(skip > 0 ? piece.subarray(skip) : piece);
    skip = 0;
  }
  return rest;
}

/**
 * The writer for a store's disk: the direct one for the real disk; through
 * the stream factory when one was given instead (a test's disk that fills
 * up or stalls), so batches meet that disk as single uploads do.
 */
export function smallFileWriterFor(factory: WriteStreamFactory): SmallFileWriter {
  if (factory === diskWriteStream) return writeNewFileDurably;
  return (filePath, chunks, done) => {
    const stream = factory(filePath);
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
    finished(stream).then(() => done(undefined), done);
  };
}

/**
 * A batch item on its way to disk: its bytes are held until the item ends (a
 * batch item is at most about 1 MiB), then hashed, checked and written in one
 * go, under a temporary name in the target folder or at a new file's final
 * name. An item that arrived damaged is never written.
 */
export class HeldTempFile {
  private chunks: Buffer[] = [];
  private bytes = 0;

  /** `uniqueName` must not collide with another upload's: a batch passes its own random prefix and a counter. */
  constructor(
    private readonly folder: string,
    private readonly maxBytes: number,
    private readonly writeFile: SmallFileWriter,
    private readonly uniqueName: string,
  ) {}

  /** The temporary name (made when asked: a new file written at its final name never needs it). */
  get path(): string {
    return path.join(this.folder, `${TEMP_PREFIX}${this.uniqueName}`);
  }

  get size(): number {
    return this.bytes;
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `The upload is larger than this server accepts (${this.maxBytes} bytes)` });
    }
    this.chunks.push(chunk);
  }

  /**
   * Checks the SHA-256 against what the source announced, then writes the
   * file and flushes it to disk: at its temporary name, or at `filePath` (a
   * new file's final name, which the caller recorded first and removes should
   * the batch fail). Calls `done` once, with the error if any.
   */
  finish(expectedSha256: string, filePath: string, done: (error: unknown) => void): void {
    const chunks = this.chunks;
    this.chunks = [];
    const actual = sha256Hex(chunks);
    if (actual !== expectedSha256) {
      return done(new AnemoneError('HASH_MISMATCH', { message: `The file arrived damaged: its SHA-256 is ${actual}, the source announced ${expectedSha256}` }));
    }
    try {
      this.writeFile(filePath, chunks, (error) => done(error === undefined || error === null ? undefined : asStorageError(error)));
    } catch (error) {
      // thrown before the write began (a path fs refuses, a stream factory whose open failed): reported like any failed write
      done(asStorageError(error));
    }
  }

  /** Removes the temporary file if it was written; never throws, so it is safe in every error path. */
  async discard(): Promise<void> {
    this.chunks = [];
    // a file that cannot be removed now is removed at the next start (see orphans.ts)
    await new Promise<void>((resolve) => unlink(this.path, () => resolve()));
  }
}
