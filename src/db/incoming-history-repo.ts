import type { Database } from './database.js';
import { insertRows } from './multi-row-insert.js';

type ShareKey = { source: string; user: string; share: string };

/** A stored object as the peer received it: its ciphertext SHA-256 was checked on arrival. */
export interface CurrentObject {
  path: string;
  ctSha256: string;
  size: number;
  storedAt: string;
}

/** An object a source replaced or deleted, kept under `.history/` (`file`: its name in the share's `objects/`). */
export interface ObjectVersionRow {
  id: number;
  storedPath: string;
  ctSha256: string;
  size: number;
  storedAt: string;
  supersededAt: string;
  file: string;
}

/** One manifest or delta a source committed. `historyFile` is null while it sits in the current layout. */
export interface SnapshotRow {
  id: number;
  generation: number;
  kind: 'full' | 'delta';
  committedAt: string;
  supersededAt: string | null;
  fileCount: number | null;
  bytes: number | null;
  size: number;
  historyFile: string | null;
}

/** A source's own limits; null: the server's retention, no quota. */
export interface SourceLimits {
  keepVersionsDays: number | null;
  maxBytes: number | null;
}

interface RawSnapshot {
  id: number;
  generation: number;
  kind: 'full' | 'delta';
  committed_at: string;
  superseded_at: string | null;
  file_count: number | null;
  bytes: number | null;
  size: number;
  history_file: string | null;
}

function toSnapshot(raw: RawSnapshot): SnapshotRow {
  return {
    id: raw.id,
    generation: raw.generation,
    kind: raw.kind,
    committedAt: raw.committed_at,
    supersededAt: raw.superseded_at,
    fileCount: raw.file_count,
    bytes: raw.bytes,
    size: raw.size,
    historyFile: raw.history_file,
  };
}

const VERSION_COLUMNS = 'id, stored_path AS storedPath, ct_sha256 AS ctSha256, size, stored_at AS storedAt, superseded_at AS supersededAt, file';
const SHARE_WHERE = 'source = @source AND user = @user AND share = @share';

/** The SQL of the peer's history: current objects, object versions, snapshots, per-source limits. */
export class IncomingHistoryRepo {
  constructor(private readonly db: Database) {}

  recordObjects(ref: ShareKey, objects: readonly { path: string; ctSha256: string; size: number }[], storedAt: string): void {
    // a batch's objects in few statements: a row per file was a tenth of the receiver's time per small file
    this.db.transaction(() => {
      insertRows(
        this.db,
        'incoming_objects (source, user, share, path, ct_sha256, size, stored_at)',
        'ON CONFLICT(source, user, share, path) DO UPDATE SET ct_sha256 = excluded.ct_sha256, size = excluded.size, stored_at = excluded.stored_at',
        7,
        objects,
        (object) => [ref.source, ref.user, ref.share, object.path, object.ctSha256, object.size, storedAt],
      );
    })();
  }

  currentObject(ref: ShareKey, path: string): CurrentObject | undefined {
    return this.db
      .prepare(`SELECT path, ct_sha256 AS ctSha256, size, stored_at AS storedAt FROM incoming_objects WHERE ${SHARE_WHERE} AND path = @path`)
      .get({ ...ref, path }) as CurrentObject | undefined;
  }

  forgetObjects(ref: ShareKey, paths: readonly string[]): void {
    const remove = this.db.prepare(`DELETE FROM incoming_objects WHERE ${SHARE_WHERE} AND path = @path`);
    this.db.transaction(() => {
      for (const path of paths) remove.run({ ...ref, path });
    })();
  }

  addVersions(ref: ShareKey, versions: readonly Omit<ObjectVersionRow, 'id'>[]): void {
    const insert = this.db.prepare(
      `INSERT INTO incoming_versions (source, user, share, stored_path, ct_sha256, size, stored_at, superseded_at, file)
       VALUES (@source, @user, @share, @storedPath, @ctSha256, @size, @storedAt, @supersededAt, @file)`,
    );
    this.db.transaction(() => {
      for (const version of versions) insert.run({ ...ref, ...version });
    })();
  }

  findVersion(ref: ShareKey, storedPath: string, ctSha256: string): ObjectVersionRow | undefined {
    return this.db
      .prepare(`SELECT ${VERSION_COLUMNS} FROM incoming_versions WHERE ${SHARE_WHERE} AND stored_path = @storedPath AND ct_sha256 = @ctSha256 ORDER BY id DESC LIMIT 1`)
      .get({ ...ref, storedPath, ctSha256 }) as ObjectVersionRow | undefined;
  }

  listVersions(ref: ShareKey): ObjectVersionRow[] {
    return this.db.prepare(`SELECT ${VERSION_COLUMNS} FROM incoming_versions WHERE ${SHARE_WHERE} ORDER BY id`).all(ref) as ObjectVersionRow[];
  }

  deleteVersions(ids: readonly number[]): void {
    const remove = this.db.prepare('DELETE FROM incoming_versions WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) remove.run(id);
    })();
  }

  /** A commit: the share's latest snapshot is superseded now, the new one recorded. */
  addSnapshot(ref: ShareKey, snapshot: Omit<SnapshotRow, 'id' | 'supersededAt' | 'historyFile'>): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE incoming_snapshots SET superseded_at = @at WHERE ${SHARE_WHERE} AND superseded_at IS NULL`).run({ ...ref, at: snapshot.committedAt });
      this.db
        .prepare(
          `INSERT INTO incoming_snapshots (source, user, share, generation, kind, committed_at, file_count, bytes, size)
           VALUES (@source, @user, @share, @generation, @kind, @committedAt, @fileCount, @bytes, @size)`,
        )
        .run({ ...ref, ...snapshot });
    })();
  }

  /** Every snapshot row of a share, oldest first. */
  listSnapshots(ref: ShareKey): SnapshotRow[] {
    return (this.db.prepare(`SELECT * FROM incoming_snapshots WHERE ${SHARE_WHERE} ORDER BY id`).all(ref) as RawSnapshot[]).map(toSnapshot);
  }

  /** The rows whose bytes sit in the current layout under this name: the full manifest, or the delta of `generation`. */
  liveSnapshots(ref: ShareKey, kind: 'full' | 'delta', generation?: number): SnapshotRow[] {
    const rows =
      kind === 'full'
        ? this.db.prepare(`SELECT * FROM incoming_snapshots WHERE ${SHARE_WHERE} AND kind = 'full' AND history_file IS NULL`).all(ref)
        : this.db
            .prepare(`SELECT * FROM incoming_snapshots WHERE ${SHARE_WHERE} AND kind = 'delta' AND history_file IS NULL AND (@generation IS NULL OR generation = @generation)`)
            .all({ ...ref, generation: generation ?? null });
    return (rows as RawSnapshot[]).map(toSnapshot);
  }

  moveSnapshotToHistory(id: number, historyFile: string): void {
    this.db.prepare('UPDATE incoming_snapshots SET history_file = ? WHERE id = ?').run(historyFile, id);
  }

  deleteSnapshots(ids: readonly number[]): void {
    const remove = this.db.prepare('DELETE FROM incoming_snapshots WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) remove.run(id);
    })();
  }

  /** The shares of a source (or every source) that have any history rows. */
  sharesWithHistory(source?: string): ShareKey[] {
    const sql = `SELECT DISTINCT source, user, share FROM incoming_snapshots ${source === undefined ? '' : 'WHERE source = @source'}
                 UNION SELECT DISTINCT source, user, share FROM incoming_versions ${source === undefined ? '' : 'WHERE source = @source'}
                 ORDER BY source, user, share`;
    return this.db.prepare(sql).all(source === undefined ? {} : { source }) as ShareKey[];
  }

  /** Bytes kept as versions and old manifests, per share of a source: a version file that several rows share counts once. */
  historyBytes(ref: ShareKey): number {
    const versions = this.db
      .prepare(`SELECT COALESCE(SUM(size), 0) AS bytes FROM (SELECT MAX(size) AS size FROM incoming_versions WHERE ${SHARE_WHERE} GROUP BY file)`)
      .get(ref) as { bytes: number };
    const manifests = this.db
      .prepare(`SELECT COALESCE(SUM(size), 0) AS bytes FROM incoming_snapshots WHERE ${SHARE_WHERE} AND history_file IS NOT NULL`)
      .get(ref) as { bytes: number };
    return versions.bytes + manifests.bytes;
  }

  limitsOf(source: string): SourceLimits {
    const row = this.db.prepare('SELECT keep_versions_days AS keepVersionsDays, max_bytes AS maxBytes FROM incoming_source_limits WHERE source = ?').get(source) as
      | SourceLimits
      | undefined;
    return row ?? { keepVersionsDays: null, maxBytes: null };
  }

  setLimits(source: string, limits: SourceLimits): void {
    this.db
      .prepare(
        `INSERT INTO incoming_source_limits (source, keep_versions_days, max_bytes) VALUES (?, ?, ?)
         ON CONFLICT(source) DO UPDATE SET keep_versions_days = excluded.keep_versions_days, max_bytes = excluded.max_bytes`,
      )
      .run(source, limits.keepVersionsDays, limits.maxBytes);
  }

  /** Everything of a source, one of its users, or one share (the administrator deleted what it stores). */
  deleteAll(filter: { source: string; user?: string | undefined; share?: string | undefined }): void {
    const where = ['source = @source'];
    if (filter.user !== undefined) where.push('user = @user');
    if (filter.share !== undefined) where.push('share = @share');
    const params = { source: filter.source, user: filter.user ?? null, share: filter.share ?? null };
    this.db.transaction(() => {
      for (const table of ['incoming_objects', 'incoming_versions', 'incoming_snapshots']) this.db.prepare(`DELETE FROM ${table} WHERE ${where.join(' AND ')}`).run(params);
    })();
  }
}
