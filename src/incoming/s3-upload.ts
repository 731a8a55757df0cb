import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { UploadedPart } from '../db/incoming-multipart-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { WholeReadHoldback } from '../protocol/v1/index.js';
import { bodyChunks } from './body-chunks.js';
import type { AnnouncedSha256 } from './incoming-store.js';
import type { S3Objects } from './s3-objects.js';

/**
 * The bytes of one object on their way to the bucket: gathered up to one
 * part, sent as a part of a multipart upload when the part is full. At most
 * one part is in memory, whatever the object's size.
 */
export class PartBuffer {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(
    private readonly objects: S3Objects,
    private readonly key: string,
    private readonly partBytes: number,
    /** The multipart upload, once one is needed: its id and the parts sent (a resumed upload starts with its own). */
    private upload: { uploadId: string; parts: UploadedPart[] } | undefined,
    private readonly hooks: { started?: (uploadId: string) => void; sent?: (part: UploadedPart) => void } = {},
  ) {}

  get buffered(): number {
    return this.bufferedBytes;
  }

  get multipart(): { uploadId: string; parts: UploadedPart[] } | undefined {
    return this.upload;
  }

  async add(content: Buffer): Promise<void> {
    this.chunks.push(content);
    this.bufferedBytes += content.length;
    if (this.bufferedBytes >= this.partBytes) await this.sendPart();
  }

  /** Sends what is buffered as a part (the last one may be small). */
  async sendPart(): Promise<void> {
    if (this.upload === undefined) {
      this.upload = { uploadId: await this.objects.createMultipart(this.key), parts: [] };
      this.hooks.started?.(this.upload.uploadId);
    }
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    this.bufferedBytes = 0;
    const part = await this.objects.uploadPart(this.key, this.upload.uploadId, this.upload.parts.length + 1, body);
    this.upload.parts.push(part);
    this.hooks.sent?.(part);
  }

  /** Makes the object visible at its key: one PUT when it fit in a part, else the multipart upload completed. */
  async publish(): Promise<void> {
    if (this.upload === undefined) {
      await this.objects.put(this.key, Buffer.concat(this.chunks));
      return;
    }
    if (this.bufferedBytes > 0 || this.upload.parts.length === 0) await this.sendPart();
    await this.objects.completeMultipart(this.key, this.upload.uploadId, this.upload.parts);
  }

  async abort(): Promise<void> {
    this.chunks = [];
    if (this.upload !== undefined) await this.objects.abortMultipart(this.key, this.upload.uploadId);
  }
}

export function hashMismatch(actual: string, announced: string): AnemoneError {
  return new AnemoneError('HASH_MISMATCH', { message: `The file arrived damaged: its SHA-256 is ${actual}, the source announced ${announced}` });
}

/**
 * Receives an upload for `key`: counted against `maxBytes`, hashed as it
 * streams, parts sent as they fill. Resolves once the whole body arrived and
 * its SHA-256 matches what the source announced; nothing is visible at `key`
 * until the caller publishes (a multipart upload is completed only then).
 * On any failure the parts sent are aborted.
 */
export async function receiveObject(
  objects: S3Objects,
  key: string,
  body: Readable,
  announced: AnnouncedSha256,
  options: { maxBytes: number; partBytes: number; started?: (uploadId: string) => void },
): Promise<{ size: number; ctSha256: string; parts: PartBuffer }> {
  const parts = new PartBuffer(objects, key, options.partBytes, undefined, { started: options.started });
  const hash = createHash('sha256');
  const holdback = announced === 'trailer' ? new WholeReadHoldback() : undefined;
  let size = 0;
  const take = async (content: Buffer): Promise<void> => {
    size += content.length;
    if (size > options.maxBytes) throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `The upload is larger than this server accepts (${options.maxBytes} bytes)` });
    hash.update(content);
    await parts.add(content);
  };
  try {
    for await (const chunk of bodyChunks(body)) {
      for (const content of holdback ? holdback.push(chunk) : [chunk]) await take(content);
    }
    for (const content of holdback?.end() ?? []) await take(content);
    const expected = holdback ? holdback.trailerHex() : (announced as { hex: string }).hex;
    if (expected === undefined) throw new AnemoneError('HASH_MISMATCH', { message: 'The upload ended before its SHA-256 trailer' });
    const actual = hash.digest('hex');
    if (actual !== expected) throw hashMismatch(actual, expected);
    return { size, ctSha256: actual, parts };
  } catch (error) {
    await parts.abort().catch(() => undefined);
    throw error;
  }
}
