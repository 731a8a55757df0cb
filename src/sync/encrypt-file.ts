import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, type Readable, Transform } from 'node:stream';
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
 * Reads and encrypts a small file (at most one chunk, so memory stays
 * bounded) for a batch. The plaintext hash is taken from the bytes actually
 * encrypted, so a file that changed since the scan is recorded as what was sent.
 */
export async function encryptSmallFile(
  filePath: string,
  userKey: Buffer,
  context: FileContext,
  maxBytes: number,
): Promise<{ body: Buffer; sha256: string; ctSha256: string; size: number }> {
  const handle = await open(filePath, 'r');
  let plaintext: Buffer;
  try {
    const expected = (await handle.stat()).size;
    if (expected > maxBytes) throw new FileChangedError(filePath);
    // one byte more than expected tells a file that grew while it was read
    const buffer = Buffer.allocUnsafe(expected + 1);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, size);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > expected) throw new FileChangedError(filePath);
    }
    plaintext = buffer.subarray(0, size);
  } finally {
    await handle.close();
  }
  const body = encryptBuffer(userKey, fileInfo(context), plaintext);
  return {
    body,
    sha256: createHash('sha256').update(plaintext).digest('hex'),
    ctSha256: createHash('sha256').update(body).digest('hex'),
    size: plaintext.length,
  };
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
