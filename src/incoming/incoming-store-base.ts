import type { Readable } from 'node:stream';
import type { IncomingRepo } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { limits } from '../protocol/v1/index.js';
import { type AnnouncedSha256, DEFAULT_MAX_UPLOAD_BYTES, type IncomingStore, type ShareRef, type StoredFileStream, type StoredShare } from './incoming-store.js';
import { safeStoredPathSegments } from './safe-path.js';
import type { ShareHistory, SnapshotChain, SnapshotTotals } from './share-history.js';
import { NO_TOTALS, checkIncarnation, checkQuota, checkedName, dropUncommitted, notStored, shareSegments } from './share-rules.js';
import { ShareWrites } from './share-writes.js';

/** What one write stores: an object at its stored path, or the manifest (full, or a delta of its journal). */
export type StoredWrite = { storedPath: string } | ManifestWrite;
/** How a manifest write is kept: full or delta, with what the source announced of it. */
export type ManifestWrite = { manifest: 'full' | 'delta'; generation: number | undefined; totals: SnapshotTotals };

/** A verified upload about to be made visible, and how: a rename on disk, a PUT or a completed multipart upload in a bucket. */
export interface VerifiedUpload {
  /** Where it goes (a path, a key): what history keeps of the object it replaces. */
  location: string;
  size: number;
  ctSha256: string;
  /** The size of what is stored there now, undefined when nothing is. */
  sizeBefore: number | undefined;
  publish(): Promise<void>;
}

export interface IncomingStoreBaseOptions {
  repo: IncomingRepo;
  history: ShareHistory;
  /** The largest single upload accepted (413 beyond); 64 GiB unless set. */
  maxUploadBytes?: number | undefined;
  now?: (() => Date) | undefined;
}

/**
 * The receiving side's rules that do not depend on where bytes live, for
 * both stores (fs-store.ts, s3-store.ts): what is checked before a body is
 * read, the order of a write (recorded as uncommitted, what it replaces kept
 * in history, published, recorded), manifests as commits, versions read back,
 * deletions, and the statistics in SQLite. A store supplies the bytes'
 * side: writing, opening, hashing and removing them.
 */
export abstract class IncomingStoreBase implements IncomingStore {
  readonly maxUploadBytes: number;
  readonly history: ShareHistory;
  protected readonly repo: IncomingRepo;
  protected readonly now: () => Date;
  protected readonly writes = new ShareWrites();

  constructor(options: IncomingStoreBaseOptions) {
    this.repo = options.repo;
    this.history = options.history;
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Receives `body` for `what`, checks its SHA-256 and places it with
   * `place`; `beforePublish` throws to refuse the write at the last moment,
   * after the body arrived and before it replaces anything.
   */
  protected abstract writeOne(ref: ShareRef, what: StoredWrite, body: Readable, ctSha256: AnnouncedSha256, maxBytes: number, beforePublish?: () => void): Promise<{ size: number }>;
  protected abstract hasManifest(ref: ShareRef): Promise<boolean>;
  /** After a full manifest: the deltas it folds go to history and leave the share. */
  protected abstract dropJournal(ref: ShareRef): Promise<void>;
  /** Removes stored objects (kept in history first, or not) and takes them out of the stats. */
  protected abstract removeStored(ref: ShareRef, storedPaths: readonly string[], history: 'keep' | 'discard'): Promise<{ deleted: number; bytes: number }>;
  /** The object stored now at a checked path. */
  protected abstract openCurrent(ref: ShareRef, storedPath: string): Promise<StoredFileStream>;
  /** The SHA-256 of the object stored now at a checked path, read back; undefined when none is. */
  protected abstract hashCurrent(ref: ShareRef, storedPath: string): Promise<string | undefined>;
  /** Removes the bytes of a source's, a user's or a share's backups, history included, once a new incarnation is recorded. */
  protected abstract deleteBackups(segments: readonly string[], filter: { source: string; user?: string | undefined; share?: string | undefined }): Promise<void>;

  abstract putBatch(ref: ShareRef, body: Readable): Promise<{ stored: number }>;
  abstract uploadOffset(ref: ShareRef, storedPath: string, uploadId: string, size: number): Promise<{ offset: number }>;
  abstract appendUpload(ref: ShareRef, storedPath: string, uploadId: string, offset: number, body: Readable): Promise<{ complete: boolean; offset: number }>;
  abstract openManifest(ref: ShareRef): Promise<StoredFileStream>;
  abstract openManifestDelta(ref: ShareRef, generation: number): Promise<StoredFileStream>;
  abstract openChainFile(location: string): Promise<StoredFileStream>;
  abstract journalGenerations(ref: ShareRef): Promise<number[]>;
  abstract listFiles(ref: ShareRef): Promise<{ path: string; size: number }[]>;
  abstract hashFiles(ref: ShareRef, storedPaths: readonly string[]): Promise<{ path: string; size: number; sha256: string }[]>;
  abstract removeOrphanTemps(): Promise<number>;
  abstract removeAbandonedUploads(): Promise<number>;

  async putFile(ref: ShareRef, storedPath: string, body: Readable, ctSha256: AnnouncedSha256): Promise<{ size: number }> {
    this.checkedPath(ref, storedPath);
    this.checkQuota(ref.source);
    return this.writes.during(ref, () => this.writeOne(ref, { storedPath }, body, ctSha256, this.maxUploadBytes));
  }

  /** A manifest stored is a commit: the objects written since the last one are no longer uncommitted. */
  async putManifest(ref: ShareRef, body: Readable, ctSha256: AnnouncedSha256, generation?: number, totals: SnapshotTotals = NO_TOTALS, incarnation?: number): Promise<{ size: number }> {
    const written = await this.writes.during(ref, () =>
      this.writeOne(ref, { manifest: 'full', generation, totals }, body, ctSha256, this.maxManifestBytes(), () => this.checkIncarnation(ref, incarnation)),
    );
    if (generation !== undefined) this.repo.setGeneration({ ...ref, generation });
    // the full manifest holds everything the journal led to: written first, so no reader sees a state without it
    await this.writes.during(ref, () => this.dropJournal(ref));
    return written;
  }

  /**
   * One delta of the manifest's journal (`_manifest.d/<generation>.json.enc`):
   * a commit like a manifest. Refused (NOT_FOUND) when no manifest is stored:
   * a delta needs its base, and a source that lost it must send it whole.
   */
  async putManifestDelta(ref: ShareRef, generation: number, body: Readable, ctSha256: AnnouncedSha256, totals: SnapshotTotals = NO_TOTALS, incarnation?: number): Promise<{ size: number }> {
    if (!(await this.hasManifest(ref))) {
      body.resume();
      throw new AnemoneError('NOT_FOUND', { message: 'No manifest is stored here for this share: send the full manifest first' });
    }
    const written = await this.writes.during(ref, () =>
      this.writeOne(ref, { manifest: 'delta', generation, totals }, body, ctSha256, this.maxManifestBytes(), () => this.checkIncarnation(ref, incarnation)),
    );
    this.repo.setGeneration({ ...ref, generation });
    return written;
  }

  /**
   * Makes a verified upload visible in the order both stores keep: recorded
   * as uncommitted before it is published (so no object of an unfinished run
   * escapes the next cleanup), the last-moment check, what it replaces kept
   * in history (a source cannot erase it by writing over it), published, then
   * recorded in history and the stats.
   */
  protected async place(ref: ShareRef, what: StoredWrite, upload: VerifiedUpload, beforePublish?: () => void): Promise<void> {
    const { size, sizeBefore } = upload;
    if ('storedPath' in what) this.repo.recordUncommitted(ref, [{ path: what.storedPath, bytes: size, replaced: sizeBefore !== undefined }]);
    beforePublish?.();
    if (sizeBefore !== undefined) {
      if ('storedPath' in what) await this.history.keepObjects(ref, [{ storedPath: what.storedPath, fullPath: upload.location }]);
      else await this.history.keepManifest(ref, what.manifest, upload.location, what.manifest === 'delta' ? what.generation : undefined);
    }
    await upload.publish();
    if ('storedPath' in what) this.history.recordObjects(ref, [{ path: what.storedPath, ctSha256: upload.ctSha256, size }]);
    else {
      this.repo.clearUncommitted(ref);
      if (what.generation !== undefined) this.history.recordSnapshot(ref, { generation: what.generation, kind: what.manifest, size, ...what.totals });
    }
    this.adjust(ref, 'storedPath' in what && sizeBefore === undefined ? 1 : 0, size - (sizeBefore ?? 0));
  }

  /** Before a resumable upload starts: the path, the quota and the announced size. */
  protected checkUpload(ref: ShareRef, storedPath: string, size: number): void {
    this.checkedPath(ref, storedPath);
    this.checkQuota(ref.source);
    if (size > this.maxUploadBytes) {
      throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `The upload is larger than this server accepts (${this.maxUploadBytes} bytes)` });
    }
  }

  /**
   * A stored object; with `ctSha256`, that version of it: the current object
   * when it is the one, else the version kept in history, else NOT_FOUND.
   */
  async openFile(ref: ShareRef, storedPath: string, ctSha256?: string): Promise<StoredFileStream> {
    this.checkedPath(ref, storedPath);
    if (ctSha256 === undefined) return this.openCurrent(ref, storedPath);
    const recorded = this.history.currentCtSha256(ref, storedPath);
    if (recorded === ctSha256) return this.openCurrent(ref, storedPath);
    const kept = this.history.versionFile(ref, storedPath, ctSha256);
    if (kept !== undefined) return this.openChainFile(kept);
    // an object stored before history was kept (or copied in by hand) has no recorded hash: compared by reading it
    if (recorded === undefined && (await this.hashCurrent(ref, storedPath)) === ctSha256) return this.openCurrent(ref, storedPath);
    throw notStored();
  }

  /** The generation the source last announced, when its manifest is still stored (an administrator may have deleted it). */
  async currentGeneration(ref: ShareRef): Promise<number | undefined> {
    const generation = this.repo.generationOf(ref);
    return generation !== undefined && (await this.hasManifest(ref)) ? generation : undefined;
  }

  /** The stored files of snapshot `generation` (its manifest and the deltas leading to it), or undefined when none is kept. */
  snapshotChain(ref: ShareRef, generation: number): SnapshotChain | undefined {
    shareSegments(ref);
    return this.history.chainAt(ref, generation);
  }

  listSnapshots(ref: ShareRef): ReturnType<ShareHistory['listSnapshots']> {
    shareSegments(ref);
    return this.history.listSnapshots(ref);
  }

  /** The shares `source` stores here, from the stats (no listing of the storage), with whether each has a manifest. */
  async listShares(source: string): Promise<StoredShare[]> {
    const rows = this.repo.listShares(checkedName(source));
    return Promise.all(
      rows.map(async (row) => {
        const hasManifest = await this.hasManifest({ source, user: row.user, share: row.share });
        return { user: row.user, share: row.share, fileCount: row.fileCount, bytesUsed: row.bytesUsed, hasManifest };
      }),
    );
  }

  /**
   * Deletes stored files; paths not stored are skipped. Every path is checked
   * before anything is deleted.
   */
  async deleteFiles(ref: ShareRef, storedPaths: readonly string[]): Promise<{ deleted: number }> {
    const { deleted } = await this.writes.during(ref, () => this.removeStored(ref, storedPaths, 'keep'));
    this.repo.clearUncommitted(ref, storedPaths);
    return { deleted };
  }

  /** At the start of a sync run: removes what an earlier run left uncommitted (share-rules.ts). */
  dropUncommitted(ref: ShareRef): Promise<{ removedFiles: number; removedBytes: number; deferred: boolean }> {
    return dropUncommitted({ writes: this.writes, repo: this.repo, removeStored: (share, paths, history) => this.removeStored(share, paths, history) }, ref);
  }

  /** Removes everything of a source, one of its users, or one share: the bytes, the history and the stats. */
  async deleteStored(filter: { source: string; user?: string | undefined; share?: string | undefined }): Promise<{ fileCount: number; bytesUsed: number }> {
    const segments = [filter.source, filter.user, filter.share].filter((segment): segment is string => segment !== undefined).map(checkedName);
    if (filter.share !== undefined && filter.user === undefined) throw new AnemoneError('VALIDATION_FAILED', { message: 'A share is named together with its user' });
    // a new incarnation before any file goes: a manifest commit checks it just before it is published,
    // so a commit that passed the check is removed with the rest, and one after it is refused
    this.repo.recordReset(filter, this.now().toISOString());
    return this.writes.deleting(filter, async () => {
      await this.deleteBackups(segments, filter);
      return this.repo.deleteShares(filter);
    });
  }

  /**
   * The share's incarnation (docs/protocol.md, "Backups deleted during a
   * sync"): it grows with each deletion of the share's backups here.
   */
  incarnation(ref: ShareRef): number {
    return this.repo.incarnationOf({ ...ref, source: checkedName(ref.source) });
  }

  checkIncarnation(ref: ShareRef, announced: number | undefined): void {
    checkIncarnation(this.repo, ref, announced);
  }

  checkQuota(source: string): void {
    checkQuota(this.repo, this.history, source);
  }

  protected adjust(ref: ShareRef, files: number, bytes: number): void {
    this.repo.adjustShare({ ...ref, files, bytes, receivedAt: this.now().toISOString() });
  }

  /** The stored path's segments, the share's names checked first. */
  protected checkedPath(ref: ShareRef, storedPath: string): string[] {
    shareSegments(ref);
    return safeStoredPathSegments(storedPath);
  }

  private maxManifestBytes(): number {
    return Math.min(this.maxUploadBytes, limits.manifestMaxBytes);
  }
}
