import { createHash, randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AnemoneError } from '../errors/catalogue.js';
import { asStorageError } from './fs-errors.js';
import { GatheredWrites } from './gathered-writes.js';

/** Hidden, so listings and the sync's scans skip it; removed at start if a crash left it behind. */
export const TEMP_PREFIX = '.anemone-tmp-';

/**
 * Opens a new file for writing — or, with `append`, an existing one at its
 * end (a resumed upload's partial). The one seam of the store: tests inject a
 * disk that fails (ENOSPC).
 */
export type WriteStreamFactory = (filePath: string, options?: { append?: boolean }) => Writable;

/**
 * `wx` never opens an existing file (nor follows a symlink planted at the
 * name); `flush` fsyncs the data before the stream reports it closed, so a
 * file is durable before it is renamed into place.
 */
const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0);

export const diskWriteStream: WriteStreamFactory = (filePath, options) =>
  // a 1 MiB buffer holds a gathered batch (gathered-writes.ts) without asking the writer to wait
  createWriteStream(filePath, {
    // appending never follows a symlink planted at the name either (node takes numeric flags; its types say string)
    flags: options?.append ? (APPEND_NO_FOLLOW as unknown as string) : 'wx',
    mode: 0o600,
    flush: true,
    highWaterMark: 1024 * 1024,
  });

/**
 * One upload on its way to disk: written under a temporary name in its
 * target folder, counted against a byte limit and hashed as it streams.
 */
export class TempFile {
  readonly path: string;
  private readonly hash = createHash('sha256');
  private readonly stream: Writable;
  private readonly gathered: GatheredWrites;
  private bytes = 0;
  private failure: unknown;

  /** `uniqueName` must not collide with another upload's: a batch passes its own random prefix and a counter. */
  constructor(
    folder: string,
    private readonly maxBytes: number,
    factory: WriteStreamFactory,
    uniqueName: string = randomBytes(12).toString('hex'),
  ) {
    this.path = path.join(folder, `${TEMP_PREFIX}${uniqueName}`);
    this.stream = factory(this.path);
    this.gathered = new GatheredWrites(this.stream);
    // kept, not thrown: the next write or finish reports it
    this.stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  get size(): number {
    return this.bytes;
  }

  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `The upload is larger than this server accepts (${this.maxBytes} bytes)` });
    }
    this.hash.update(chunk);
    this.throwIfFailed();
    if (this.gathered.add(chunk)) await this.drained();
  }

  /** Flushes and closes the file, then checks its SHA-256 against what the source announced. */
  async finish(expectedSha256: string): Promise<void> {
    this.throwIfFailed();
    this.gathered.flush();
    await this.gathered.settled();
    this.throwIfFailed();
    this.stream.end();
    try {
      await finished(this.stream);
    } catch (error) {
      throw asStorageError(this.failure ?? error);
    }
    this.throwIfFailed();
    const actual = this.hash.digest('hex');
    if (actual !== expectedSha256) {
      throw new AnemoneError('HASH_MISMATCH', { message: `The file arrived damaged: its SHA-256 is ${actual}, the source announced ${expectedSha256}` });
    }
  }

  /** Closes and removes the temporary file; never throws, so it is safe in every error path. */
  async discard(): Promise<void> {
    await this.gathered.settled();
    this.stream.destroy();
    await finished(this.stream).catch(() => undefined);
    // a file that cannot be removed now is removed at the next start (see orphans.ts)
    await unlink(this.path).catch(() => undefined);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw asStorageError(this.failure);
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: unknown) => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onError);
        this.stream.off('close', onClose);
        if (error === undefined) resolve();
        else reject(asStorageError(error));
      };
      const onDrain = () => done();
      const onError = (error: Error) => done(error);
      const onClose = () => done(this.failure ?? new Error('The file was closed while being written'));
      this.stream.on('drain', onDrain);
      this.stream.on('error', onError);
      this.stream.on('close', onClose);
    });
  }
}
