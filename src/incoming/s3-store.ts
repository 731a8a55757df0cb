import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { IncomingMultipartRepo } from '../db/incoming-multipart-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { JOURNAL_FOLDER, generationOfDeltaName } from '../manifest/manifest-delta.js';
import { HISTORY_FOLDER } from '../manifest/history-names.js';
import { MANIFEST_STORED_NAME } from '../manifest/stored-names.js';
import { BatchParser } from '../protocol/v1/index.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { bodyChunks } from './body-chunks.js';
import type { AnnouncedSha256, ShareRef, StoredFileStream } from './incoming-store.js';
import { IncomingStoreBase, type IncomingStoreBaseOptions, type StoredWrite } from './incoming-store-base.js';
import { safeStoredPathSegments } from './safe-path.js';
import { MIN_PART_BYTES, type S3Objects } from './s3-objects.js';
import { S3Resumable } from './s3-resumable.js';
import { type PartBuffer, hashMismatch, receiveObject } from './s3-upload.js';
import { shareSegments } from './share-rules.js';

export interface S3IncomingStoreOptions extends IncomingStoreBaseOptions {
  objects: S3Objects;
  multipart: IncomingMultipartRepo;
  /** Bytes per part of a multipart upload (at least 5 MiB on S3); one part is the most held in memory per upload. */
  partBytes?: number | undefined;
  partialExpiryMs?: number | undefined;
  maxPartialsPerSource?: number | undefined;
}

/** Objects of a batch placed at once. */
const BATCH_CONCURRENCY = 16;

/**
 * What sources store here, in an S3-compatible bucket, keyed as on disk
 * (`<prefix>/<source>/<user>/<share>/<path>.enc`, docs/format.md). The
 * filesystem store's rules hold: an object is acknowledged to the source
 * only once the bucket acknowledged it whole, its SHA-256 checked before it
 * becomes visible (a single PUT of a verified buffer, or a multipart upload
 * completed after the check); objects before the manifest (the source's
 * order, kept: each write answers only when stored); what is replaced or
 * deleted is copied to history first. Statistics stay in SQLite: no
 * listing of the bucket feeds a page.
 */
export class S3IncomingStore extends IncomingStoreBase {
  private readonly objects: S3Objects;
  private readonly multipart: IncomingMultipartRepo;
  private readonly partBytes: number;
  private readonly resumable: S3Resumable;

  constructor(options: S3IncomingStoreOptions) {
    super(options);
    this.objects = options.objects;
    this.multipart = options.multipart;
    this.partBytes = Math.max(options.partBytes ?? MIN_PART_BYTES, MIN_PART_BYTES);
    this.resumable = new S3Resumable({
      objects: this.objects,
      repo: this.multipart,
      partBytes: this.partBytes,
      now: this.now,
      expiryMs: options.partialExpiryMs,
      maxPerSource: options.maxPartialsPerSource,
    });
  }

  /**
   * A batch of small objects: the whole body is read and every item checked
   * against its SHA-256 before any is placed (at most the batch limit, 16 MiB,
   * in memory), as the filesystem store renames nothing of a batch that failed.
   */
  async putBatch(ref: ShareRef, body: Readable): Promise<{ stored: number }> {
    this.checkQuota(ref.source);
    return this.writes.during(ref, async () => {
      const parser = new BatchParser();
      const received = new Map<string, { key: string; bytes: Buffer; ctSha256: string }>();
      let count = 0;
      let current: { path: string; key: string; size: number; ctSha256: string; chunks: Buffer[]; bytes: number } | undefined;
      for await (const chunk of bodyChunks(body)) {
        for (const event of parser.push(chunk)) {
          if (event.kind === 'item') {
            current = { path: event.header.path, key: this.objectKey(ref, event.header.path), size: event.header.size, ctSha256: event.header.ctSha256, chunks: [], bytes: 0 };
          } else if (event.kind === 'data') {
            const item = current as NonNullable<typeof current>;
            item.bytes += event.chunk.length;
            if (item.bytes > item.size) throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `The upload is larger than this server accepts (${item.size} bytes)` });
            item.chunks.push(event.chunk);
          } else {
            const item = current as NonNullable<typeof current>;
            const bytes = Buffer.concat(item.chunks);
            const actual = createHash('sha256').update(bytes).digest('hex');
            if (actual !== item.ctSha256) throw hashMismatch(actual, item.ctSha256);
            // a path sent twice: its last copy is what stays
            received.delete(item.path);
            received.set(item.path, { key: item.key, bytes, ctSha256: actual });
            count += 1;
            current = undefined;
          }
        }
      }
      parser.finish();
      const items = [...received].map(([storedPath, item]) => ({ storedPath, ...item }));
      const before = new Map<string, number | undefined>();
      await runWorkerPool(items, async (item) => {
        before.set(item.storedPath, await this.objects.size(item.key));
      }, { concurrency: BATCH_CONCURRENCY });
      // recorded before placing, so no object of an unfinished run escapes the next cleanup
      this.repo.recordUncommitted(ref, items.map((item) => ({ path: item.storedPath, bytes: item.bytes.length, replaced: before.get(item.storedPath) !== undefined })));
      await this.history.keepObjects(ref, items.filter((item) => before.get(item.storedPath) !== undefined).map((item) => ({ storedPath: item.storedPath, fullPath: item.key })));
      await runWorkerPool(items, async (item) => {
        await this.objects.put(item.key, item.bytes);
        this.history.recordObjects(ref, [{ path: item.storedPath, ctSha256: item.ctSha256, size: item.bytes.length }]);
        const sizeBefore = before.get(item.storedPath);
        this.adjust(ref, sizeBefore === undefined ? 1 : 0, item.bytes.length - (sizeBefore ?? 0));
      }, { concurrency: BATCH_CONCURRENCY });
      return { stored: count };
    });
  }

  async uploadOffset(ref: ShareRef, storedPath: string, uploadId: string, size: number): Promise<{ offset: number }> {
    this.checkUpload(ref, storedPath, size);
    const key = this.objectKey(ref, storedPath);
    return { offset: await this.resumable.offset(ref, storedPath, key, uploadId, size) };
  }

  async appendUpload(ref: ShareRef, storedPath: string, uploadId: string, offset: number, body: Readable): Promise<{ complete: boolean; offset: number }> {
    const key = this.objectKey(ref, storedPath);
    return this.writes.during(ref, async () => {
      const received = await this.resumable.append(ref, storedPath, uploadId, offset, body);
      if ('incomplete' in received) return { complete: false, offset: received.incomplete };
      try {
        await this.publish(ref, key, received, { storedPath });
      } finally {
        this.resumable.forget(received);
      }
      return { complete: true, offset: received.size };
    });
  }

  protected openCurrent(ref: ShareRef, storedPath: string): Promise<StoredFileStream> {
    return this.objects.open(this.objectKey(ref, storedPath));
  }

  protected async hashCurrent(ref: ShareRef, storedPath: string): Promise<string | undefined> {
    return (await this.objects.hash(this.objectKey(ref, storedPath)))?.sha256;
  }

  openManifest(ref: ShareRef): Promise<StoredFileStream> {
    return this.objects.open(this.manifestKey(ref));
  }

  openManifestDelta(ref: ShareRef, generation: number): Promise<StoredFileStream> {
    return this.objects.open(this.deltaKey(ref, generation));
  }

  /** One stored object of a snapshot chain, or a version history keeps (a key history gave). */
  openChainFile(location: string): Promise<StoredFileStream> {
    return this.objects.open(location);
  }

  async journalGenerations(ref: ShareRef): Promise<number[]> {
    const generations: number[] = [];
    for await (const object of this.objects.list(`${this.objects.key(...shareSegments(ref), JOURNAL_FOLDER)}/`)) {
      const generation = generationOfDeltaName(object.key.slice(object.key.lastIndexOf('/') + 1));
      if (generation !== undefined) generations.push(generation);
    }
    return generations.sort((a, b) => a - b);
  }

  /** Every stored object of a share with its size, sorted; the manifest, its journal and hidden names left out. */
  async listFiles(ref: ShareRef): Promise<{ path: string; size: number }[]> {
    const prefix = `${this.objects.key(...shareSegments(ref))}/`;
    const found: { path: string; size: number }[] = [];
    for await (const object of this.objects.list(prefix)) {
      const storedPath = object.key.slice(prefix.length);
      const name = storedPath.slice(storedPath.lastIndexOf('/') + 1);
      if (name.startsWith('.') || !name.endsWith('.enc') || storedPath === MANIFEST_STORED_NAME || storedPath.startsWith(`${JOURNAL_FOLDER}/`)) continue;
      found.push({ path: storedPath, size: object.size });
    }
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async hashFiles(ref: ShareRef, storedPaths: readonly string[]): Promise<{ path: string; size: number; sha256: string }[]> {
    const wanted = [...new Set(storedPaths)].map((storedPath) => ({ storedPath, key: this.objectKey(ref, storedPath) }));
    const hashed: { path: string; size: number; sha256: string }[] = [];
    // a few at a time: hashing reads every byte back from the bucket
    await runWorkerPool(wanted, async ({ storedPath, key }) => {
      const found = await this.objects.hash(key);
      if (found) hashed.push({ path: storedPath, size: found.size, sha256: found.sha256 });
    }, { concurrency: 4 });
    return hashed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Removes from the bucket everything of a source, one of its users, or one share (the base records the reset and the stats). */
  protected async deleteBackups(segments: readonly string[], filter: { source: string; user?: string | undefined; share?: string | undefined }): Promise<void> {
    // a trailing slash: user "al" must not take "alice" with it
    await this.objects.deleteBelow(`${this.objects.key(...segments)}/`);
    // the administrator's deletion takes the history too (a source's lives below its own prefix)
    if (segments.length > 1) await this.objects.deleteBelow(`${this.objects.key(segments[0] as string, HISTORY_FOLDER, ...segments.slice(1))}/`);
    this.history.deleteAll(filter);
    if (segments.length === 1) await this.resumable.removeSource(segments[0] as string);
  }

  /** A bucket has no temporary files; a crash leaves large uploads unfinished instead, aborted here. */
  removeOrphanTemps(): Promise<number> {
    return this.resumable.removeInterruptedPuts();
  }

  removeAbandonedUploads(): Promise<number> {
    return this.resumable.removeExpired();
  }

  protected async writeOne(ref: ShareRef, what: StoredWrite, body: Readable, ctSha256: AnnouncedSha256, maxBytes: number, beforePublish?: () => void): Promise<{ size: number }> {
    const key = 'storedPath' in what ? this.objectKey(ref, what.storedPath) : what.manifest === 'full' ? this.manifestKey(ref) : this.deltaKey(ref, what.generation as number);
    let multipartId: string | undefined;
    const received = await receiveObject(this.objects, key, body, ctSha256, {
      maxBytes,
      partBytes: this.partBytes,
      // a large upload's id is kept, so a crash before it completes leaves nothing the next start cannot abort
      started: (uploadId) => {
        multipartId = uploadId;
        this.multipart.add({ key, s3UploadId: uploadId, kind: 'put', ...ref, storedPath: 'storedPath' in what ? what.storedPath : key, uploadId: null, size: 0, touchedAt: this.now().toISOString() });
      },
    });
    try {
      await this.publish(ref, key, received, what, beforePublish);
    } finally {
      if (multipartId !== undefined) this.multipart.remove(multipartId);
    }
    return { size: received.size };
  }

  /** Publishes a verified object at `key` in the order of `place` (incoming-store-base.ts); gives its parts up on failure. */
  private async publish(ref: ShareRef, key: string, received: { size: number; ctSha256: string; parts: PartBuffer }, what: StoredWrite, beforePublish?: () => void): Promise<void> {
    try {
      const sizeBefore = await this.objects.size(key);
      await this.place(ref, what, { location: key, size: received.size, ctSha256: received.ctSha256, sizeBefore, publish: () => received.parts.publish() }, beforePublish);
    } catch (error) {
      await received.parts.abort().catch(() => undefined);
      throw error;
    }
  }

  protected async dropJournal(ref: ShareRef): Promise<void> {
    let bytes = 0;
    const removed: string[] = [];
    for await (const object of this.objects.list(`${this.objects.key(...shareSegments(ref), JOURNAL_FOLDER)}/`)) {
      const generation = generationOfDeltaName(object.key.slice(object.key.lastIndexOf('/') + 1));
      if (generation === undefined) continue;
      // the deltas a fold replaces stay in history: they make the snapshots between the two full manifests
      await this.history.keepManifest(ref, 'delta', object.key, generation);
      removed.push(object.key);
      bytes += object.size;
    }
    await this.objects.deleteMany(removed);
    if (bytes > 0) this.adjust(ref, 0, -bytes);
  }

  protected async removeStored(ref: ShareRef, storedPaths: readonly string[], history: 'keep' | 'discard'): Promise<{ deleted: number; bytes: number }> {
    const wanted = [...new Set(storedPaths)].map((storedPath) => ({ storedPath, key: this.objectKey(ref, storedPath) }));
    const found: { storedPath: string; fullPath: string; size: number }[] = [];
    await runWorkerPool(wanted, async ({ storedPath, key }) => {
      const size = await this.objects.size(key);
      if (size !== undefined) found.push({ storedPath, fullPath: key, size });
    }, { concurrency: 32 });
    if (history === 'keep') await this.history.keepObjects(ref, found);
    this.history.forgetObjects(ref, found.map((object) => object.storedPath));
    await this.objects.deleteMany(found.map((object) => object.fullPath));
    const bytes = found.reduce((total, object) => total + object.size, 0);
    if (found.length > 0) this.adjust(ref, -found.length, -bytes);
    return { deleted: found.length, bytes };
  }

  private objectKey(ref: ShareRef, storedPath: string): string {
    return this.objects.key(...shareSegments(ref), ...safeStoredPathSegments(storedPath));
  }

  private manifestKey(ref: ShareRef): string {
    return this.objects.key(...shareSegments(ref), MANIFEST_STORED_NAME);
  }

  private deltaKey(ref: ShareRef, generation: number): string {
    return this.objects.key(...shareSegments(ref), JOURNAL_FOLDER, `${generation}.json.enc`);
  }

  protected async hasManifest(ref: ShareRef): Promise<boolean> {
    return (await this.objects.size(this.manifestKey(ref))) !== undefined;
  }
}
