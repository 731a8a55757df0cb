import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
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
 * Reads and encrypts a small file (at most one chunk) into memory for a
 * batch. The plaintext hash is taken from the bytes actually encrypted, so a
 * file that changed since the scan is recorded as what was sent.
 */
export async function encryptSmallFile(
  filePath: string,
  userKey: Buffer,
  context: FileContext,
  maxBytes: number,
): Promise<{ body: Buffer; sha256: string; ctSha256: string; size: number }> {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(filePath) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new FileChangedError(filePath);
    hash.update(chunk);
    chunks.push(chunk);
  }
  const body = encryptBuffer(userKey, fileInfo(context), Buffer.concat(chunks, size));
  return { body, sha256: hash.digest('hex'), ctSha256: createHash('sha256').update(body).digest('hex'), size };
}

/**
 * The encrypted stream of a large file, with taps on both sides: the
 * plaintext hash (one read of the file hashes and encrypts it) and the
 * ciphertext hash the peer must report back.
 */
export function encryptFileStream(
  filePath: string,
  userKey: Buffer,
  context: FileContext,
  size: number,
): { stream: Readable; plain: HashingPassThrough; cipher: HashingPassThrough } {
  const plain = new HashingPassThrough();
  const cipher = new HashingPassThrough();
  // exactly the scanned size: a file that grew is cut there (and recorded as what was sent), one that shrank fails
  const source = createReadStream(filePath, { highWaterMark: 1024 * 1024, start: 0, end: Math.max(0, size - 1) });
  const encrypt = createEncryptStream(userKey, fileInfo(context));
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  // errors of any stage reach the consumer through `out`
  for (const stage of [source, plain, encrypt, cipher] as NodeJS.EventEmitter[]) stage.on('error', (error: Error) => out.destroy(error));
  source.pipe(plain).pipe(encrypt).pipe(cipher).pipe(out);
  out.on('close', () => source.destroy());
  return { stream: out, plain, cipher };
}

/** The file changed or grew while it was being read; it is skipped this time and sent next sync. */
export class FileChangedError extends Error {
  constructor(readonly filePath: string) {
    super(`${filePath} changed while it was being read`);
    this.name = 'FileChangedError';
  }
}
