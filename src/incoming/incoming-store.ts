import type { Readable } from 'node:stream';
import type { ShareHistory, SnapshotChain, SnapshotTotals } from './share-history.js';

/** The largest single upload accepted (413 beyond), unless configured. */
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 ** 3;

/**
 * How a source announces the SHA-256 of an upload: in the header (hex), or
 * as a 32-byte trailer after the bytes, when it streams a file it encrypts
 * on the way and so learns the hash only at the end.
 */
export type AnnouncedSha256 = { hex: string } | 'trailer';

/** A share as one source stores it here: `<source>/<user>/<share>/` below the store's root or prefix. */
export interface ShareRef {
  source: string;
  user: string;
  share: string;
}

export interface StoredFileStream {
  stream: Readable;
  size: number;
}

export interface StoredShare {
  user: string;
  share: string;
  fileCount: number;
  bytesUsed: number;
  hasManifest: boolean;
}

/**
 * What the receiving side does with incoming backups, whatever holds them:
 * the filesystem (store.ts, the default) or an S3-compatible bucket
 * (s3-store.ts). Both keep the same rules, checked by one contract suite
 * (store-contract.ts): an object is acknowledged only once durable and its
 * SHA-256 checked; objects before the manifest that names them; what a
 * source replaces or deletes is kept in history first; the statistics live
 * in SQLite (`incoming_shares`), never in a listing of the storage.
 */
export interface IncomingStore {
  readonly history: ShareHistory;

  putFile(ref: ShareRef, storedPath: string, body: Readable, ctSha256: AnnouncedSha256): Promise<{ size: number }>;
  /** A batch of small objects (protocol's batch framing): each verified before it is placed. */
  putBatch(ref: ShareRef, body: Readable): Promise<{ stored: number }>;
  /** A manifest stored is a commit: the objects written since the last one are no longer uncommitted. */
  putManifest(ref: ShareRef, body: Readable, ctSha256: AnnouncedSha256, generation?: number, totals?: SnapshotTotals, incarnation?: number): Promise<{ size: number }>;
  /** One delta of the manifest's journal; NOT_FOUND when no manifest is stored. */
  putManifestDelta(ref: ShareRef, generation: number, body: Readable, ctSha256: AnnouncedSha256, totals?: SnapshotTotals, incarnation?: number): Promise<{ size: number }>;

  /** A resumable upload: creates or finds it, answers the bytes held durably. */
  uploadOffset(ref: ShareRef, storedPath: string, uploadId: string, size: number): Promise<{ offset: number }>;
  /** Continues a resumable upload from `offset`; commits the object like putFile when it is whole and its hash matches. */
  appendUpload(ref: ShareRef, storedPath: string, uploadId: string, offset: number, body: Readable): Promise<{ complete: boolean; offset: number }>;

  openFile(ref: ShareRef, storedPath: string, ctSha256?: string): Promise<StoredFileStream>;
  openManifest(ref: ShareRef): Promise<StoredFileStream>;
  openManifestDelta(ref: ShareRef, generation: number): Promise<StoredFileStream>;
  /** One stored file of a snapshot chain (a location `snapshotChain` gave). */
  openChainFile(location: string): Promise<StoredFileStream>;

  journalGenerations(ref: ShareRef): Promise<number[]>;
  currentGeneration(ref: ShareRef): Promise<number | undefined>;
  snapshotChain(ref: ShareRef, generation: number): SnapshotChain | undefined;
  listSnapshots(ref: ShareRef): ReturnType<ShareHistory['listSnapshots']>;

  listFiles(ref: ShareRef): Promise<{ path: string; size: number }[]>;
  listShares(source: string): Promise<StoredShare[]>;
  hashFiles(ref: ShareRef, storedPaths: readonly string[]): Promise<{ path: string; size: number; sha256: string }[]>;

  deleteFiles(ref: ShareRef, storedPaths: readonly string[]): Promise<{ deleted: number }>;
  /** At the start of a sync run: removes the objects an earlier run wrote and never committed. */
  dropUncommitted(ref: ShareRef): Promise<{ removedFiles: number; removedBytes: number; deferred: boolean }>;
  /** The administrator's deletion of a source's, a user's or a share's backups, history included. */
  deleteStored(filter: { source: string; user?: string | undefined; share?: string | undefined }): Promise<{ fileCount: number; bytesUsed: number }>;

  incarnation(ref: ShareRef): number;
  checkIncarnation(ref: ShareRef, announced: number | undefined): void;

  /** Before serving: removes what a crash left half-written. Returns how many. */
  removeOrphanTemps(): Promise<number>;
  /** Removes resumable uploads their sources abandoned. Returns how many. */
  removeAbandonedUploads(): Promise<number>;
}
