import { randomBytes } from 'node:crypto';
import { link, stat } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingHistoryRepo, ObjectVersionRow, SnapshotRow } from '../db/incoming-history-repo.js';
import { JOURNAL_FOLDER } from '../manifest/manifest-delta.js';
import { HISTORY_DELTAS, HISTORY_FOLDER, HISTORY_MANIFESTS, HISTORY_OBJECTS, keptManifestName, versionFileName } from '../manifest/history-names.js';
import { MANIFEST_STORED_NAME } from '../manifest/stored-names.js';
import { fsyncFolder } from './fsync.js';
import { hashRegularFile } from '../util/hash-file.js';
import { isCode } from './fs-errors.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { RealDirectories } from './real-dirs.js';

export { HISTORY_FOLDER } from '../manifest/history-names.js';

interface ShareKey {
  source: string;
  user: string;
  share: string;
}

/** What a source announces with a manifest or delta: plaintext totals of the whole state (null when it did not). */
export interface SnapshotTotals {
  fileCount: number | null;
  bytes: number | null;
}

/** The stored files of one snapshot: its full manifest and the deltas that lead to it, each a path on disk. */
export interface SnapshotChain {
  generation: number;
  base: string;
  deltas: { generation: number; file: string }[];
}

export interface ShareHistoryOptions {
  root: string;
  repo: IncomingHistoryRepo;
  now: () => Date;
  /** The retention that applies to a source now (its override, else the server's); 0 keeps nothing. */
  keepVersionsDays: (source: string) => number;
}

/**
 * The peer's history of a share: before anything a source sends replaces or
 * removes an object, a manifest or a delta, its file is hard-linked under
 * `.history/` and recorded, so no request of a source can erase it; only
 * retention (retention.ts) removes history. A link, not a copy: cheap, and
 * the current path never goes missing while it is replaced.
 */
export class ShareHistory {
  constructor(private readonly options: ShareHistoryOptions) {}

  retains(source: string): boolean {
    return this.keepVersionsDays(source) > 0;
  }

  /** The quota of a source (current state and history together), or null for none. */
  maxBytes(source: string): number | null {
    return this.options.repo.limitsOf(source).maxBytes;
  }

  /** Bytes of history a source holds here, every share together. */
  sourceHistoryBytes(source: string): number {
    return this.options.repo.sharesWithHistory(source).reduce((total, ref) => total + this.options.repo.historyBytes(ref), 0);
  }

  keepVersionsDays(source: string): number {
    return this.options.keepVersionsDays(source);
  }

  /** The object at each `fullPath` is about to be replaced or deleted: kept as a version (unless retention is 0). */
  async keepObjects(ref: ShareKey, objects: readonly { storedPath: string; fullPath: string }[]): Promise<void> {
    if (objects.length === 0 || !this.retains(ref.source)) return;
    const dirs = new RealDirectories(this.options.root);
    const folder = await dirs.ensure([...historySegments(ref), HISTORY_OBJECTS]);
    const folders = new Set<string>([folder]);
    const supersededAt = this.options.now().toISOString();
    const kept: Omit<ObjectVersionRow, 'id'>[] = [];
    await runWorkerPool(objects, async (object) => {
      const recorded = this.options.repo.currentObject(ref, object.storedPath);
      // stored before history was kept: hashed once, now
      const known = recorded ?? (await legacyObject(object.fullPath));
      if (known === undefined) return;
      const file = versionFileName(known.ctSha256);
      const fanout = await dirs.ensure([...historySegments(ref), HISTORY_OBJECTS, file.split('/')[0] as string]);
      folders.add(fanout);
      try {
        await link(object.fullPath, path.join(folder, file));
      } catch (error) {
        if (isCode(error, 'ENOENT')) return;
        // the same ciphertext is kept already: same bytes (every encryption has its own salt), one file
        if (!isCode(error, 'EEXIST')) throw error;
      }
      kept.push({ storedPath: object.storedPath, ctSha256: known.ctSha256, size: known.size, storedAt: known.storedAt, supersededAt, file: `${HISTORY_OBJECTS}/${file}` });
    }, { concurrency: 8 });
    await runWorkerPool([...folders, ...dirs.created.map((created) => path.dirname(created))], fsyncFolder, { concurrency: 8 });
    this.options.repo.addVersions(ref, kept);
  }

  /** Objects now in place, with the SHA-256 the peer checked as they arrived. */
  recordObjects(ref: ShareKey, objects: readonly { path: string; ctSha256: string; size: number }[]): void {
    if (objects.length > 0) this.options.repo.recordObjects(ref, objects, this.options.now().toISOString());
  }

  forgetObjects(ref: ShareKey, storedPaths: readonly string[]): void {
    this.options.repo.forgetObjects(ref, storedPaths);
  }

  /**
   * The full manifest, or the delta of `generation`, at `fullPath` is about to
   * be replaced or removed: linked into history and its snapshot row pointed
   * there. Without retention its rows go (it is no longer served).
   */
  async keepManifest(ref: ShareKey, kind: 'full' | 'delta', fullPath: string, generation?: number): Promise<void> {
    const rows = this.options.repo.liveSnapshots(ref, kind, generation);
    if (rows.length === 0) return;
    if (!this.retains(ref.source)) {
      this.options.repo.deleteSnapshots(rows.map((row) => row.id));
      return;
    }
    const dirs = new RealDirectories(this.options.root);
    const folder = await dirs.ensure([...historySegments(ref), kind === 'full' ? HISTORY_MANIFESTS : HISTORY_DELTAS]);
    for (const row of rows) {
      const file = keptManifestName(row.generation, randomBytes(8).toString('hex'));
      try {
        await link(fullPath, path.join(folder, file));
      } catch (error) {
        if (isCode(error, 'ENOENT')) continue;
        throw error;
      }
      this.options.repo.moveSnapshotToHistory(row.id, `${path.basename(folder)}/${file}`);
    }
    await runWorkerPool([folder, ...dirs.created.map((created) => path.dirname(created))], fsyncFolder, { concurrency: 8 });
  }

  /** A manifest or delta was committed: the share's newest snapshot. */
  recordSnapshot(ref: ShareKey, snapshot: { generation: number; kind: 'full' | 'delta'; size: number } & SnapshotTotals): void {
    this.options.repo.addSnapshot(ref, { ...snapshot, committedAt: this.options.now().toISOString() });
  }

  /** Where the version of `storedPath` with this ciphertext SHA-256 is kept, if it is. */
  versionFile(ref: ShareKey, storedPath: string, ctSha256: string): string | undefined {
    const version = this.options.repo.findVersion(ref, storedPath, ctSha256);
    return version && this.historyPath(ref, version.file);
  }

  /** The recorded ciphertext SHA-256 of the current object at `storedPath`, if recorded. */
  currentCtSha256(ref: ShareKey, storedPath: string): string | undefined {
    return this.options.repo.currentObject(ref, storedPath)?.ctSha256;
  }

  /**
   * The stored files of snapshot `generation`: the manifest and deltas as
   * they stood when it was committed (its first commit, should a source have
   * written it twice: a later write cannot stand in for a snapshot).
   */
  chainAt(ref: ShareKey, generation: number): SnapshotChain | undefined {
    const rows = this.options.repo.listSnapshots(ref);
    const chain = snapshotChain(rows, generation);
    if (chain === undefined) return undefined;
    return {
      generation,
      base: this.rowFile(ref, chain.base),
      deltas: chain.deltas.map((row) => ({ generation: row.generation, file: this.rowFile(ref, row) })),
    };
  }

  /** The administrator deleted what a source, user or share stores: its history rows go with the files. */
  deleteAll(filter: { source: string; user?: string | undefined; share?: string | undefined }): void {
    this.options.repo.deleteAll(filter);
  }

  /** The snapshots kept of a share, one per generation (its first commit), newest first. */
  listSnapshots(ref: ShareKey): { generation: number; committedAt: string; fileCount: number | null; bytes: number | null }[] {
    const rows = this.options.repo.listSnapshots(ref);
    const first = new Map<number, SnapshotRow>();
    for (const row of rows) if (!first.has(row.generation)) first.set(row.generation, row);
    return [...first.values()]
      .filter((row) => snapshotChain(rows, row.generation) !== undefined)
      .sort((a, b) => b.generation - a.generation)
      .map((row) => ({ generation: row.generation, committedAt: row.committedAt, fileCount: row.fileCount, bytes: row.bytes }));
  }

  historyPath(ref: ShareKey, file: string): string {
    return path.join(this.options.root, ...historySegments(ref), file);
  }

  private rowFile(ref: ShareKey, row: SnapshotRow): string {
    if (row.historyFile !== null) return this.historyPath(ref, row.historyFile);
    const share = path.join(this.options.root, ref.source, ref.user, ref.share);
    return row.kind === 'full' ? path.join(share, MANIFEST_STORED_NAME) : path.join(share, JOURNAL_FOLDER, `${row.generation}.json.enc`);
  }
}

export function historySegments(ref: ShareKey): string[] {
  return [ref.source, HISTORY_FOLDER, ref.user, ref.share];
}

/**
 * The rows that make snapshot `generation`: its first commit S (a source
 * that writes a generation again, by mistake or hostile, cannot replace a
 * snapshot); if S is a delta, the full manifest committed last before it
 * and, per generation after that base up to S's, the delta committed last
 * before S (what the journal held on disk when S was committed).
 */
export function snapshotChain(rows: readonly SnapshotRow[], generation: number): { base: SnapshotRow; deltas: SnapshotRow[] } | undefined {
  const target = rows.find((row) => row.generation === generation);
  return target === undefined ? undefined : chainFrom(rows, target);
}

/** The rows that make the state `target` committed: itself, or its base and the deltas before it. */
export function chainFrom(rows: readonly SnapshotRow[], target: SnapshotRow): { base: SnapshotRow; deltas: SnapshotRow[] } | undefined {
  const { generation } = target;
  if (target.kind === 'full') return { base: target, deltas: [] };
  const base = rows.filter((row) => row.kind === 'full' && row.id < target.id).at(-1);
  if (base === undefined) return undefined;
  const latestByGeneration = new Map<number, SnapshotRow>();
  for (const row of rows) {
    if (row.kind === 'delta' && row.id > base.id && row.id <= target.id && row.generation > base.generation && row.generation <= generation) {
      latestByGeneration.set(row.generation, row);
    }
  }
  return { base, deltas: [...latestByGeneration.values()].sort((a, b) => a.generation - b.generation) };
}

async function legacyObject(fullPath: string): Promise<{ ctSha256: string; size: number; storedAt: string } | undefined> {
  const hashed = await hashRegularFile(fullPath);
  if (hashed === undefined) return undefined;
  const stats = await stat(fullPath).catch(() => undefined);
  return { ctSha256: hashed.sha256, size: hashed.size, storedAt: (stats?.mtime ?? new Date(0)).toISOString() };
}
