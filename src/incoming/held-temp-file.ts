import { createHash } from 'node:crypto';
import { closeSync, constants, fsync, open, unlink, writev } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { AnemoneError } from '../errors/catalogue.js';
import { asStorageError } from './fs-errors.js';
import { TEMP_PREFIX, diskWriteStream, type WriteStreamFactory } from './temp-file.js';

/**
 * Creates `filePath` (never an existing file), writes `chunks` to it and
 * flushes it to disk before resolving. On failure the file may be left
 * behind; the caller removes it.
 */
export type SmallFileWriter = (filePath: string, chunks: readonly Buffer[]) => Promise<void>;

/** As 'wx' (never an existing file), and never through a symbolic link planted at the name. */
const CREATE_NEW_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
/** writev takes at most IOV_MAX (1,024 on Linux) buffers per call. */
const MAX_BUFFERS_PER_WRITE = 1024;

/**
 * The real disk's writer: open, write and fsync through node:fs callbacks,
 * three trips through libuv's pool and no stream object (a WriteStream per
 * small file was most of the receiver's cost per file).
 */
export const writeNewFileDurably: SmallFileWriter = (filePath, chunks) =>
  new Promise((resolve, reject) => {
    open(filePath, CREATE_NEW_NO_FOLLOW, 0o600, (openError, fd) => {
      if (openError) return reject(openError);
      // synchronous: after the fsync (or a failed write) closing waits on nothing, a trip through the pool would cost more
      const closeThen = (error: unknown) => {
        try {
          closeSync(fd);
        } catch (closeError) {
          error ??= closeError;
        }
        if (error === undefined) resolve();
        else reject(error);
      };
      const writeFrom = (pieces: readonly Buffer[]) => {
        if (pieces.length === 0) return fsync(fd, (syncError) => closeThen(syncError ?? undefined));
        writev(fd, pieces.slice(0, MAX_BUFFERS_PER_WRITE), (writeError, written) => {
          if (writeError) return closeThen(writeError);
          writeFrom(afterBytes(pieces, written));
        });
      };
      writeFrom(chunks);
    });
  });

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
  return async (filePath, chunks) => {
    const stream = factory(filePath);
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
    await finished(stream);
  };
}

/**
 * A batch item on its way to disk: its bytes are held until the item ends (a
 * batch item is at most about 1 MiB), hashed as they arrive, then checked and
 * written in one go under a temporary name in the target folder. An item that
 * arrived damaged is never written.
 */
export class HeldTempFile {
  readonly path: string;
  private readonly hash = createHash('sha256');
  private chunks: Buffer[] = [];
  private bytes = 0;

  /** `uniqueName` must not collide with another upload's: a batch passes its own random prefix and a counter. */
  constructor(
    folder: string,
    private readonly maxBytes: number,
    private readonly writeFile: SmallFileWriter,
    uniqueName: string,
  ) {
    this.path = path.join(folder, `${TEMP_PREFIX}${uniqueName}`);
  }

  get size(): number {
    return this.bytes;
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `The upload is larger than this server accepts (${this.maxBytes} bytes)` });
    }
    this.hash.update(chunk);
    this.chunks.push(chunk);
  }

  /**
   * Checks the SHA-256 against what the source announced, then writes the
   * file and flushes it to disk: at its temporary name, or at `filePath` (a
   * new file's final name, which the caller recorded first and removes should
   * the batch fail).
   */
  async finish(expectedSha256: string, filePath: string = this.path): Promise<void> {
    const actual = this.hash.digest('hex');
    if (actual !== expectedSha256) {
      this.chunks = [];
      throw new AnemoneError('HASH_MISMATCH', { message: `The file arrived damaged: its SHA-256 is ${actual}, the source announced ${expectedSha256}` });
    }
    const chunks = this.chunks;
    this.chunks = [];
    try {
      await this.writeFile(filePath, chunks);
    } catch (error) {
      throw asStorageError(error);
    }
  }

  /** Removes the temporary file if it was written; never throws, so it is safe in every error path. */
  async discard(): Promise<void> {
    this.chunks = [];
    // a file that cannot be removed now is removed at the next start (see orphans.ts)
    await new Promise<void>((resolve) => unlink(this.path, () => resolve()));
  }
}
