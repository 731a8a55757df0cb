import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { S3Location } from '../config/config.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { UploadedPart } from '../db/incoming-multipart-repo.js';
import type { StoredFileStream } from './incoming-store.js';

/** S3 refuses a part below 5 MiB, the last excepted. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/**
 * CopyObject copies up to 5 GiB; a larger object is copied part by part
 * (UploadPartCopy with byte ranges), each part at least 5 MiB and at most
 * 10,000 of them: 512 MiB parts reach 5 TiB, S3's largest object. An option,
 * so a test can lower the threshold of one S3Objects without a 5 GiB object.
 */
export interface CopyLimits {
  /** The largest object copied in one CopyObject. */
  maxSingleCopyBytes: number;
  /** The size of each part of a copy in parts (the last one is the rest). */
  copyPartBytes: number;
}

export const S3_COPY_LIMITS: CopyLimits = { maxSingleCopyBytes: 5 * 1024 ** 3, copyPartBytes: 512 * 1024 * 1024 };

export function s3Client(location: S3Location, options: { maxAttempts?: number | undefined } = {}): S3Client {
  return new S3Client({
    region: location.region,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    forcePathStyle: location.forcePathStyle,
    ...(location.accessKeyId && location.secretAccessKey ? { credentials: { accessKeyId: location.accessKeyId, secretAccessKey: location.secretAccessKey } } : {}),
    // the SDK's newer default adds CRC32 checksums to every request and checks them on answers;
    // MinIO, Garage, SeaweedFS and s3rver (the tests' server) do not all understand them, so only
    // when an operation requires one. Every object's SHA-256 is checked by the store itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // a 503, a throttle or a dropped connection is tried again (bodies are buffers, so replayable)
    maxAttempts: options.maxAttempts ?? 4,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
}

/**
 * The bucket as the S3 incoming store uses it: keys under a prefix, every
 * failure of the storage turned into a catalogue error the source or the
 * administrator can act on. One request per call; nothing is cached.
 */
export class S3Objects {
  constructor(
    readonly client: S3Client,
    readonly location: S3Location,
    private readonly copyLimits: CopyLimits = S3_COPY_LIMITS,
  ) {}

  /** The key of `segments` below the prefix. */
  key(...segments: string[]): string {
    return [this.location.prefix, ...segments].filter((segment) => segment !== '').join('/');
  }

  async put(key: string, body: Buffer): Promise<void> {
    await this.send(() => this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: key, Body: body, ContentLength: body.length })));
  }

  /** The object's size, or undefined when none is at `key`. */
  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw asObjectStoreError(error);
    }
  }

  /** The object as a stream; NOT_FOUND when none is at `key`. */
  async open(key: string): Promise<StoredFileStream & { lastModified: Date | undefined }> {
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return { stream: got.Body as Readable, size: got.ContentLength ?? 0, lastModified: got.LastModified };
    } catch (error) {
      if (isMissing(error)) throw new AnemoneError('NOT_FOUND', { message: 'That file is not stored here' });
      throw asObjectStoreError(error);
    }
  }

  /** Size, SHA-256 and date of the object at `key`, read back whole; undefined when none is there. */
  async hash(key: string): Promise<{ size: number; sha256: string; lastModified: Date | undefined } | undefined> {
    let opened;
    try {
      opened = await this.open(key);
    } catch (error) {
      if (error instanceof AnemoneError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of opened.stream) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { size, sha256: hash.digest('hex'), lastModified: opened.lastModified };
  }

  /** Every object below `prefix` (which ends with `/`), with its size, in key order. */
  async *list(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.send(() => this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token })));
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key })));
  }

  /** Deletes many keys, a thousand per request (the S3 limit); keys not there are no error. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      const answer = await this.send(() =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
      );
      const failed = answer.Errors?.[0];
      if (failed !== undefined) throw new AnemoneError('OBJECT_STORE_UNAVAILABLE', { message: `The S3 storage did not delete ${failed.Key ?? 'an object'}: ${failed.Code ?? 'no reason given'}` });
    }
  }

  /** Deletes every object below `prefix` (ending with `/`). */
  async deleteBelow(prefix: string): Promise<void> {
    const keys: string[] = [];
    for await (const object of this.list(prefix)) keys.push(object.key);
    await this.deleteMany(keys);
  }

  /** Copies `from` to `to` inside the bucket; false when nothing is at `from`. */
  async copy(from: string, to: string): Promise<boolean> {
    const size = await this.size(from);
    if (size === undefined) return false;
    const source = `${this.location.bucket}/${encodeURIComponent(from).replaceAll('%2F', '/')}`;
    try {
      if (size <= this.copyLimits.maxSingleCopyBytes) {
        await this.client.send(new CopyObjectCommand({ Bucket: this.location.bucket, Key: to, CopySource: source }));
        return true;
      }
      const uploadId = await this.createMultipart(to);
      const parts: UploadedPart[] = [];
      try {
        for (let start = 0, partNumber = 1; start < size; start += this.copyLimits.copyPartBytes, partNumber += 1) {
          const end = Math.min(size, start + this.copyLimits.copyPartBytes) - 1;
          const copied = await this.client.send(
            new UploadPartCopyCommand({ Bucket: this.location.bucket, Key: to, UploadId: uploadId, PartNumber: partNumber, CopySource: source, CopySourceRange: `bytes=${start}-${end}` }),
          );
          parts.push({ partNumber, etag: copied.CopyPartResult?.ETag ?? '', size: end - start + 1 });
        }
        await this.completeMultipart(to, uploadId, parts);
      } catch (error) {
        // the part's failure is what the caller must see; an abort failing too leaves an incomplete upload (install.md: a lifecycle rule clears those)
        await this.abortMultipart(to, uploadId).catch(() => undefined);
        throw error;
      }
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw asObjectStoreError(error);
    }
  }

  async createMultipart(key: string): Promise<string> {
    const created = await this.send(() => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.location.bucket, Key: key })));
    if (created.UploadId === undefined) throw new AnemoneError('OBJECT_STORE_UNAVAILABLE', { message: 'The S3 storage started a multipart upload without an id' });
    return created.UploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart> {
    const uploaded = await this.send(() =>
      this.client.send(new UploadPartCommand({ Bucket: this.location.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length })),
    );
    return { partNumber, etag: uploaded.ETag ?? '', size: body.length };
  }

  /** Makes the object visible at `key`, whole, in one step: what the store acknowledges after. */
  async completeMultipart(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void> {
    await this.send(() =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.location.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
        }),
      ),
    );
  }

  /** Frees the parts of an upload given up; one already gone, or a storage that cannot abort, is no failure. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.location.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (isMissing(error) || nameOf(error) === 'NoSuchUpload' || statusOf(error) === 405 || nameOf(error) === 'NotImplemented') return;
      throw asObjectStoreError(error);
    }
  }

  private async send<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw asObjectStoreError(error);
    }
  }
}

function nameOf(error: unknown): string | undefined {
  return (error as { name?: string; Code?: string } | undefined)?.name;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = nameOf(error);
  return name === 'NoSuchKey' || (name === 'NotFound' && statusOf(error) === 404);
}

/**
 * What the storage said, as a catalogue error: the SDK's error names are
 * S3's error codes. Anything not recognised is the storage being unavailable
 * (after the SDK's own retries): the source tries again at its next run.
 */
export function asObjectStoreError(error: unknown): unknown {
  if (error instanceof AnemoneError) return error;
  const name = nameOf(error);
  switch (name) {
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'CredentialsProviderError':
      return new AnemoneError('OBJECT_STORE_CREDENTIALS_REJECTED', { cause: error });
    case 'AccessDenied':
    case 'Forbidden':
      return new AnemoneError('OBJECT_STORE_ACCESS_DENIED', { cause: error });
    case 'NoSuchBucket':
      return new AnemoneError('OBJECT_STORE_BUCKET_MISSING', { cause: error });
    case 'RequestTimeTooSkewed':
    case 'RequestExpired':
      return new AnemoneError('OBJECT_STORE_CLOCK_SKEW', { cause: error });
    default:
      // the storage's own words stay in the cause (the log): its address is none of the source's business
      return new AnemoneError('OBJECT_STORE_UNAVAILABLE', { cause: error });
  }
}
