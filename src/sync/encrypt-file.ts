import { createHash } from 'node:crypto';
import fs, { createReadStream } from 'node:fs';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { promisify } from 'node:util';
import { createEncryptStream, encryptBuffer, fileInfo, type FileContext } from '../crypto/index.js';

/** A transform that passes bytes through and hashes them on the way. */
export class HashingPassThrough extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.push(chunk);
    callback();
  }

  digestHex(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Reads and encrypts a small file for a batch, into `buffer` (the caller's,
 * reused file after file, so thousands of small files leave no garbage
 * behind; at least `scannedSize + 1` bytes). The plaintext hash is taken from
 * the bytes actually encrypted, so a file that changed since the scan is
 * recorded as what was sent; one that grew past `buffer` is skipped.
 *
 * node:fs callbacks rather than a FileHandle: with 4 KiB files the promise
 * API's own overhead was half of the sender's time per file.
 */
export async function encryptSmallFile(
  filePath: string,
  userKey: Buffer,
  context: FileContext,
  scannedSize: number,
  buffer: Buffer,
): Promise<{ body: Buffer; sha256: string; ctSha256: string; size: number }> {
  if (buffer.length <= scannedSize) throw new FileChangedError(filePath);
  const fd = await openFile(filePath, 'r');
  let size = 0;
  try {
    for (;;) {
      const bytesRead = await readInto(fd, buffer, size);
      size += bytesRead;
      // one more byte than the buffer holds tells a file that grew while it was read
      if (size === buffer.length) throw new FileChangedError(filePath);
      // the size the scan saw, read in one go: a short read of a regular file is its end
      if (bytesRead === 0 || size === scannedSize) break;
    }
  } finally {
    await closeFile(fd);
  }
  const plaintext = buffer.subarray(0, size);
  const body = encryptBuffer(userKey, fileInfo(context), plaintext);
  return {
    body,
    sha256: createHash('sha256').update(plaintext).digest('hex'),
    ctSha256: createHash('sha256').update(body).digest('hex'),
    size,
  };
}

const openFile = promisify(fs.open);
const closeFile = promisify(fs.close);

/** Reads from `position` to the end of `buffer`; resolves with the bytes read. */
function readInto(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, position, buffer.length - position, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

/**
 * The encrypted stream of a large file, with a tap on the plaintext side: one
 * read of the file hashes and encrypts it. (The ciphertext hash is taken by
 * the upload itself, which sends it as the trailer.)
 */
export function encryptFileStream(
  filePath: string,
  userKey: Buffer,
  context: FileContext,
  size: number,
): { stream: Readable; plain: HashingPassThrough } {
  const plain = new HashingPassThrough();
  // exactly the scanned size: a file that grew is cut there (and recorded as what was sent), one that shrank fails
  const source = createReadStream(filePath, { highWaterMark: 1024 * 1024, start: 0, end: Math.max(0, size - 1) });
  const encrypt = createEncryptStream(userKey, fileInfo(context));
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  // errors of any stage reach the consumer through `out`
  for (const stage of [source, plain, encrypt] as NodeJS.EventEmitter[]) stage.on('error', (error: Error) => out.destroy(error));
  source.pipe(plain).pipe(encrypt).pipe(out);
  out.on('close', () => source.destroy());
  return { stream: out, plain };
}

/** The file changed or grew while it was being read; it is skipped this time and sent next sync. */
export class FileChangedError extends Error {
  constructor(readonly filePath: string) {
    super(`${filePath} changed while it was being read`);
    this.name = 'FileChangedError';
  }
}
