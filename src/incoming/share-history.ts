import { randomBytes } from 'node:crypto';
import type { IncomingHistoryRepo, ObjectVersionRow, SnapshotRow } from '../db/incoming-history-repo.js';
import { HISTORY_DELTAS, HISTORY_MANIFESTS, HISTORY_OBJECTS, keptManifestName, versionFileName } from '../manifest/history-names.js';
import { runWorkerPool } from '../util/worker-pool.js';
import type { HistoryFiles } from './history-files.js';

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

/** The stored files of one snapshot: its full manifest and the deltas that lead to it, each a location of the store. */
export interface SnapshotChain {
  generation: number;
  base: string;
  deltas: { generation: number; file: string }[];
}

export interface ShareHistoryOptions {
  /** Where the history of this store's backend lives (fs-history-files.ts, s3-history-files.ts). */
  files: HistoryFiles;
  repo: IncomingHistoryRepo;
  now: () => Date;
  /** The retention that applies to a source now (its override, else the server's); 0 keeps nothing. */
  keepVersionsDays: (source: string) => number;
}

/**
 * The peer's history of a share: before anything a source sends replaces or
 * removes an object, a manifest or a delta, its file is kept under
 * `.history/` (a hard link on disk, a copy in a bucket: HistoryFiles) and
 * recorded, so no request of a source can erase it; only retention
 * (retention.ts) removes history.
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

  /** The object at each `fullPath` (a location of the store) is about to be replaced or deleted: kept as a version (unless retention is 0). */
  async keepObjects(ref: ShareKey, objects: readonly { storedPath: string; fullPath: string }[]): Promise<void> {
    if (objects.length === 0 || !this.retains(ref.source)) return;
    const supersededAt = this.options.now().toISOString();
    const known: (Omit<ObjectVersionRow, 'id'> & { from: string })[] = [];
    await runWorkerPool(objects, async (object) => {
      const recorded = this.options.repo.currentObject(ref, object.storedPath);
      // stored before history was kept: hashed once, now
      const found = recorded ?? (await this.options.files.describe(object.fullPath));
      if (found === undefined) return;
      const file = `${HISTORY_OBJECTS}/${versionFileName(found.ctSha256)}`;
      known.push({ storedPath: object.storedPath, ctSha256: found.ctSha256, size: found.size, storedAt: found.storedAt, supersededAt, file, from: object.fullPath });
    }, { concurrency: 8 });
    const kept = await this.options.files.keep(ref, known);
    this.options.repo.addVersions(ref, known.filter((_, index) => kept[index]).map(({ from: _from, ...row }) => row));
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
    const folder = kind === 'full' ? HISTORY_MANIFESTS : HISTORY_DELTAS;
    const items = rows.map((row) => ({ from: fullPath, file: `${folder}/${keptManifestName(row.generation, randomBytes(8).toString('hex'))}` }));
    const kept = await this.options.files.keep(ref, items);
    rows.forEach((row, index) => {
      if (kept[index]) this.options.repo.moveSnapshotToHistory(row.id, (items[index] as { file: string }).file);
    });
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
    return this.options.files.location(ref, file);
  }

  /** Removes history files retention no longer keeps (history-pruner.ts). */
  removeFiles(ref: ShareKey, files: readonly string[]): Promise<void> {
    return this.options.files.remove(ref, files);
  }

  private rowFile(ref: ShareKey, row: SnapshotRow): string {
    if (row.historyFile !== null) return this.historyPath(ref, row.historyFile);
    return this.options.files.currentManifest(ref, row.kind, row.generation);
  }
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
