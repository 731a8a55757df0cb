import { type Hash, createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { IncomingMultipartRepo, MultipartRow } from '../db/incoming-multipart-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { ShareRef } from './incoming-store.js';
import { DEFAULT_MAX_PARTIALS_PER_SOURCE, DEFAULT_PARTIAL_EXPIRY_MS } from './partial-uploads.js';
import { RunningAppends, partialHashMismatch, receiveContinuation } from './resumed-body.js';
import type { S3Objects } from './s3-objects.js';
import { PartBuffer } from './s3-upload.js';

export interface S3ResumableOptions {
  objects: S3Objects;
  repo: IncomingMultipartRepo;
  partBytes: number;
  now: () => Date;
  expiryMs?: number | undefined;
  maxPerSource?: number | undefined;
}

/** A resumed upload that arrived whole and verified, for the store to commit (publish) or give up (abort). */
export interface CompletedUpload {
  parts: PartBuffer;
  size: number;
  ctSha256: string;
}

/**
 * Resumable uploads on S3: each is a multipart upload at the object's own
 * key, its id and acknowledged parts (ETags) in SQLite, so the offset a
 * source is told is what the bucket holds. The object appears only when the
 * upload is completed, after its whole SHA-256 was checked.
 *
 * The bucket cannot hash the parts it holds, so the hash of the bytes so far
 * is kept in memory between requests (a copy after each part). After a
 * restart of this server it is gone: the upload starts again from 0, its
 * parts aborted — a resumed upload costs a restart of the peer at most one
 * resend, never an unchecked object.
 */
export class S3Resumable {
  private readonly expiryMs: number;
  private readonly maxPerSource: number;
  /** Hash of the bytes in the acknowledged parts, per multipart upload id. */
  private readonly hashes = new Map<string, Hash>();
  /** Appends running, by multipart upload id: a new request for the same upload ends the old one. */
  private readonly active = new RunningAppends();

  constructor(private readonly options: S3ResumableOptions) {
    this.expiryMs = options.expiryMs ?? DEFAULT_PARTIAL_EXPIRY_MS;
    this.maxPerSource = options.maxPerSource ?? DEFAULT_MAX_PARTIALS_PER_SOURCE;
  }

  /** Creates the upload, or finds the one of the same id and size, and answers the bytes the bucket holds of it. */
  async offset(ref: ShareRef, storedPath: string, key: string, uploadId: string, size: number): Promise<number> {
    const row = this.options.repo.findResumable(ref, storedPath);
    if (row !== undefined) {
      await this.active.stop(row.s3UploadId);
      if (row.uploadId === uploadId && row.size === size && row.key === key && this.hashes.has(row.s3UploadId)) {
        this.options.repo.touch(row.s3UploadId, this.options.now().toISOString());
        return row.bytes;
      }
      await this.abort(row);
    }
    // a source keeps a bounded number in flight: the one touched longest ago goes first
    const held = this.options.repo.list('resumable', ref.source);
    for (const oldest of held.slice(0, Math.max(0, held.length - this.maxPerSource + 1))) await this.abort(oldest);
    const s3UploadId = await this.options.objects.createMultipart(key);
    this.options.repo.add({ key, s3UploadId, kind: 'resumable', ...ref, storedPath, uploadId, size, touchedAt: this.options.now().toISOString() });
    this.hashes.set(s3UploadId, createHash('sha256'));
    return 0;
  }

  /**
   * Continues the upload from `offset`: parts are sent as they fill. A body
   * that ends early (a dropped connection) leaves the upload at its last
   * acknowledged part; the part being gathered is dropped, the source sends
   * it again from the offset it is told.
   */
  async append(ref: ShareRef, storedPath: string, uploadId: string, offset: number, body: Readable): Promise<CompletedUpload | { incomplete: number }> {
    body.on('error', () => undefined);
    const row = this.options.repo.findResumable(ref, storedPath);
    if (row === undefined || row.uploadId !== uploadId || !this.hashes.has(row.s3UploadId)) {
      throw new AnemoneError('NOT_FOUND', { message: 'No upload in progress here with that id: it expired or was replaced; ask for the offset again' });
    }
    await this.active.stop(row.s3UploadId);
    if (row.bytes !== offset) {
      throw new AnemoneError('UPLOAD_OFFSET_MISMATCH', { message: `This server holds ${row.bytes} bytes of the upload, not ${offset}`, details: { offset: row.bytes } });
    }
    return this.active.run(row.s3UploadId, (onStop) => this.receive(row, body, onStop));
  }

  /** After the store committed the object (or gave it up): the upload is no longer in flight. */
  forget(upload: CompletedUpload): void {
    const id = upload.parts.multipart?.uploadId;
    if (id === undefined) return;
    this.options.repo.remove(id);
    this.hashes.delete(id);
  }

  /** Aborts resumable uploads untouched for longer than the expiry (at start and periodically). Returns how many. */
  async removeExpired(): Promise<number> {
    const oldest = this.options.now().getTime() - this.expiryMs;
    let removed = 0;
    for (const row of this.options.repo.list('resumable')) {
      if (Date.parse(row.touchedAt) > oldest || this.active.has(row.s3UploadId)) continue;
      await this.abort(row);
      removed += 1;
    }
    return removed;
  }

  /** Aborts the single large uploads a crash left unfinished: at start, before serving. Returns how many. */
  async removeInterruptedPuts(): Promise<number> {
    const rows = this.options.repo.list('put');
    for (const row of rows) await this.abort(row);
    return rows.length;
  }

  /** The administrator deleted a source's backups: its uploads in flight go too. */
  async removeSource(source: string): Promise<void> {
    for (const row of this.options.repo.list('resumable', source)) await this.abort(row);
  }

  private async receive(row: MultipartRow, body: Readable, onStop: (stop: () => void) => void): Promise<CompletedUpload | { incomplete: number }> {
    const hash = (this.hashes.get(row.s3UploadId) as Hash).copy();
    let held = row.bytes;
    let digested = false;
    const parts = new PartBuffer(this.options.objects, row.key, this.options.partBytes, { uploadId: row.s3UploadId, parts: [...row.parts] }, {
      sent: (part) => {
        held += part.size;
        this.options.repo.addPart(row.s3UploadId, part, this.options.now().toISOString());
        // the hash now covers exactly the bytes acknowledged: what the next request continues from
        // (the last part goes once the whole is checked: nothing is continued after it)
        if (!digested) this.hashes.set(row.s3UploadId, hash.copy());
      },
    });
    onStop(() => body.destroy(new Error('replaced by a newer request for the same upload')));
    // a failure of the bucket or a refusal is reported; a dropped connection keeps what was acknowledged
    const { written, trailer } = await receiveContinuation(body, { offset: row.bytes, size: row.size, hash, write: (content) => parts.add(content) });
    this.options.repo.touch(row.s3UploadId, this.options.now().toISOString());
    if (written < row.size || trailer === undefined) return { incomplete: held };
    digested = true;
    const actual = hash.digest('hex');
    if (actual !== trailer) {
      await this.abort(row);
      throw partialHashMismatch(actual, trailer);
    }
    return { parts, size: written, ctSha256: actual };
  }

  private async abort(row: MultipartRow): Promise<void> {
    await this.options.objects.abortMultipart(row.key, row.s3UploadId);
    this.options.repo.remove(row.s3UploadId);
    this.hashes.delete(row.s3UploadId);
  }
}
