import type { FileHash, FileHashesRepo, FileHashRow } from '../db/index.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { inCacheOrder } from './cache-order.js';
import { hashFile } from './hash-file.js';
import { resolveShareRoot, type ShareRoot } from './open-share-file.js';
import { LSTAT_HELPER, walkShare, type SkippedEntry, type StatedFile, type WalkResult } from './walk-share.js';

export { ShareMissingError, ShareUnreadableError } from './errors.js';
export type { SkippedEntry, SkipReason } from './walk-share.js';

export interface ScanProgress {
  phase: 'walking' | 'hashing' | 'done';
  filesSeen: number;
  /** files whose size or mtime is not in the hash cache, and their bytes (known from 'hashing' on) */
  filesToHash: number;
  bytesToHash: number;
  hashedCount: number;
  hashedBytes: number;
}

export interface ScanOptions {
  shareId: number;
  hashes: Pick<FileHashesRepo, 'rowsForShare' | 'apply' | 'version'>;
  /** Called at most every 100 ms, and at each change of phase. */
  onProgress?: (progress: ScanProgress) => void;
  signal?: AbortSignal;
  /** How many files up to 1 MiB are read at once (default 16); larger ones are read one at a time. */
  concurrency?: number;
  /** The wall clock, in ms; tests replace it. */
  now?: () => number;
  /**
   * Files not in the cache for which this answers true are not read: they are
   * returned with `sha256: UNHASHED`. The sync uses it for files it will send
   * anyway (new, or of another size than the peer's copy): it hashes them as
   * it encrypts them, so a first sync reads each file once.
   */
  skipHash?: (file: { relPath: string; size: number }) => boolean;
  /** The share folder as resolveShareRoot gave it for this run; resolved here when absent. */
  shareRoot?: ShareRoot;
  /**
   * What the peer's manifest says of a file. When the cache says the same
   * (size, mtime, SHA-256), the scan returns that very object rather than the
   * cache's: in a run where little changed, one object per file serves the
   * scan, the plan and the next manifest.
   */
  peerEntry?: (relPath: string) => FileHash | undefined;
  /** The walk of the share, when it was already made for this run (walkUnlessUnchanged). */
  walk?: WalkResult;
}

/** The `sha256` of a file the scan was asked not to read. */
export const UNHASHED = '';

export interface ScanResult {
  files: Map<string, FileHash>;
  /** What was left out, and why; hidden entries are left out without a word. */
  skipped: SkippedEntry[];
  /** Files and folders that exist but could not be read now: the sync keeps the peer's copy of them. */
  unread: string[];
  /** Files read and hashed by this scan (the others came from the cache), and their bytes. */
  hashedCount: number;
  hashedBytes: number;
  /**
   * The version of the hash cache (FileHashesRepo) at which it lists exactly
   * `files`, with the same size, mtime and SHA-256; undefined when it does not
   * (a file not hashed or not cached, another write to the cache meanwhile).
   */
  cacheVersion: number | undefined;
}

const SMALL_FILE_MAX = 1024 * 1024;
const READ_BUFFER_BYTES = 1024 * 1024;
// With 4 at once, libuv's thread hand-offs dominate (~60 µs a small file); with 16
// the thread pool stays busy and a 4 KiB file costs ~16 µs.
const DEFAULT_CONCURRENCY = 16;
const PROGRESS_INTERVAL_MS = 100;
/**
 * A file modified within this long before it was hashed is not cached: a
 * write landing in the same clock tick as the hash (file system timestamps are
 * coarse, 2 s on FAT) would leave size and mtime unchanged and the cached
 * hash wrong until the next modification. Such files are simply hashed again
 * next time (git's "racily clean" rule).
 */
const RACY_WINDOW_MS = 2000;

/**
 * What the share holds now: every regular file's size, mtime and SHA-256.
 * Only files whose size or mtime differ from the hash cache are read; the
 * cache is then brought up to date in one transaction.
 *
 * @throws ShareMissingError when `root` does not exist (or is not a folder)
 * @throws ShareUnreadableError when `root` cannot be listed
 * @throws PathCheckUnavailableError when this system cannot check where a file opened lies (see open-share-file.ts)
 */
export async function scanShare(root: string, options: ScanOptions): Promise<ScanResult> {
  const now = options.now ?? Date.now;
  const progress = new ProgressReporter(options.onProgress);
  const walk = options.walk ?? (await walkShare(root, { signal: options.signal, onProgress: (filesSeen) => progress.update({ filesSeen }) }));
  const shareRoot = options.shareRoot ?? (await resolveShareRoot(root));

  // One pass over the cache's rows, in the table's order (a sequential read, where a lookup per
  // file reads the table's pages in the walk's order: 200,000 of them cost more than the walk),
  // against the walk's files by relPath. No Map of the whole cache is held.
  const walked = new Map<string, StatedFile>();
  for (const file of walk.files) walked.set(file.relPath, file);
  const files = new Map<string, FileHash>();
  // Every row that does not serve this scan goes (vanished, changed, skipped, racy);
  // removals run before upserts, so rehashed files end with their new hash.
  const remove: string[] = [];
  // read with the rows, in the same synchronous pass: what the cache holds at this version
  const versionRead = options.hashes.version(options.shareId);
  for (const row of options.hashes.rowsForShare(options.shareId)) {
    const file = walked.get(row.relPath);
    if (file === undefined || file.size !== row.size || file.mtimeMs !== row.mtimeMs) {
      remove.push(row.relPath);
      continue;
    }
    const peers = options.peerEntry?.(row.relPath);
    files.set(row.relPath, peers !== undefined && sameHash(peers, row) ? peers : { size: row.size, mtimeMs: row.mtimeMs, sha256: row.sha256 });
  }
  walked.clear();
  const toHash: StatedFile[] = [];
  // the files of `files` the cache will not hold: not hashed (skipHash), or modified too recently to be cached
  let uncached = 0;
  for (const file of walk.files) {
    if (files.has(file.relPath)) continue;
    if (options.skipHash?.(file)) {
      files.set(file.relPath, { size: file.size, mtimeMs: file.mtimeMs, sha256: UNHASHED });
      uncached += 1;
    } else toHash.push(file);
  }

  const bytesToHash = toHash.reduce((sum, file) => sum + file.size, 0);
  progress.update({ phase: 'hashing', filesSeen: walk.files.length, filesToHash: toHash.length, bytesToHash }, true);

  const upsert: FileHashRow[] = [];
  const skipped = walk.skipped;
  const unread = walk.unread;
  let hashedCount = 0;
  let hashedBytes = 0;
  const hashOne = async (file: StatedFile, buffer: Buffer): Promise<void> => {
    const startedAt = now();
    const outcome = await hashFile(shareRoot, file, buffer);
    if ('skip' in outcome) {
      skipped.push({ relPath: file.relPath, reason: outcome.skip, ...(outcome.detail ? { detail: outcome.detail } : {}) });
      if (outcome.skip === 'changed-during-scan' || outcome.skip === 'unreadable') unread.push(file.relPath);
      return;
    }
    const entry = { size: file.size, mtimeMs: file.mtimeMs, sha256: outcome.sha256 };
    files.set(file.relPath, entry);
    if (file.mtimeMs <= startedAt - RACY_WINDOW_MS) upsert.push({ relPath: file.relPath, ...entry });
    else uncached += 1;
    hashedCount += 1;
    hashedBytes += file.size;
    progress.update({ hashedCount, hashedBytes });
  };
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  // many small files in parallel hide each open's latency; big ones one at a time spare the disk's seeks
  await hashAll(toHash.filter((file) => file.size <= SMALL_FILE_MAX), concurrency, hashOne, options.signal);
  await hashAll(toHash.filter((file) => file.size > SMALL_FILE_MAX), 1, hashOne, options.signal);

  let cacheVersion: number | undefined = versionRead;
  if (remove.length > 0 || upsert.length > 0) {
    const written = options.hashes.apply(options.shareId, { upsert, remove });
    // another run's write since the rows were read (a sync of the share to another peer) leaves the cache other than `files`
    cacheVersion = written.from === versionRead ? written.to : undefined;
  }
  if (uncached > 0) cacheVersion = undefined;

  progress.update({ phase: 'done' }, true);
  skipped.sort((a, b) => compare(a.relPath, b.relPath));
  unread.sort(compare);
  return { files, skipped, unread, hashedCount, hashedBytes, cacheVersion };
}

/** What walkUnlessUnchanged found: nothing to do, or the walk for the scan to go on with. */
export type UnchangedOrWalk = { unchanged: true; fileCount: number; bytes: number; skipped: SkippedEntry[] } | { unchanged: false; walk: WalkResult };

/**
 * The walk, and whether it agrees with the hash cache at `cacheVersion` on
 * every file: the cache still at that version, one row per walked file with
 * the same size and mtime, no other row. Then the share holds what the cache
 * held at that version, file for file (the cache's own rule: same size and
 * mtime, same content). Nothing per file is kept beyond the walk's list.
 */
export async function walkUnlessUnchanged(
  root: string,
  options: { shareId: number; hashes: Pick<FileHashesRepo, 'versionIfEvery'>; cacheVersion: number; signal?: AbortSignal },
): Promise<UnchangedOrWalk> {
  // the walk a no-change run waits on: with the lstat helper (the full scan's walk goes without: its time is the
  // hashing's and the upload's, and the thread's memory would add to a first sync's peak)
  const walk = await walkShare(root, { signal: options.signal, lstatHelper: LSTAT_HELPER });
  // the walked files in the order the cache's rows come, matched one by one: a sort costs a third of
  // a Map of 200,000 paths and a lookup per row (issue 15); the walk's own list keeps its order
  const walked = inCacheOrder(walk.files);
  let next = 0;
  const version = options.hashes.versionIfEvery(options.shareId, walked.length, ([relPath, size, mtimeMs]) => {
    const file = walked[next++];
    return file !== undefined && file.relPath === relPath && file.size === size && file.mtimeMs === mtimeMs;
  });
  if (version !== options.cacheVersion) return { unchanged: false, walk };
  let bytes = 0;
  for (const file of walk.files) bytes += file.size;
  walk.skipped.sort((a, b) => compare(a.relPath, b.relPath));
  return { unchanged: true, fileCount: walk.files.length, bytes, skipped: walk.skipped };
}

/** Hashes `files`, `width` at a time, each worker with its own read buffer (as large as the largest file, up to 1 MiB). */
async function hashAll(files: StatedFile[], width: number, hashOne: (file: StatedFile, buffer: Buffer) => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  const largest = files.reduce((max, file) => Math.max(max, file.size), 0);
  const bufferBytes = Math.max(1, Math.min(READ_BUFFER_BYTES, largest));
  await runWorkerPool(files, (file, { resource: buffer }) => hashOne(file, buffer), { concurrency: width, signal, resource: () => Buffer.allocUnsafe(bufferBytes) });
}

class ProgressReporter {
  private readonly state: ScanProgress = { phase: 'walking', filesSeen: 0, filesToHash: 0, bytesToHash: 0, hashedCount: 0, hashedBytes: 0 };
  private lastReportAt = 0;

  constructor(private readonly listener: ((progress: ScanProgress) => void) | undefined) {}

  update(change: Partial<ScanProgress>, force = false): void {
    if (this.listener === undefined) return;
    Object.assign(this.state, change);
    const at = Date.now();
    if (!force && at - this.lastReportAt < PROGRESS_INTERVAL_MS) return;
    this.lastReportAt = at;
    this.listener({ ...this.state });
  }
}

function sameHash(a: FileHash, b: FileHash): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.sha256 === b.sha256;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
