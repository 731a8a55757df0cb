import type { Database } from './database.js';
import { insertRows } from './multi-row-insert.js';

/** A source server and the certificate fingerprint bound to its name. */
export interface IncomingSourceRow {
  name: string;
  fingerprint: string;
  /** A different certificate that authenticated for this name, waiting for the administrator. */
  pendingFingerprint: string | null;
  createdAt: string;
  lastSeenAt: string | null;
}

/** What one source stores for one user's share. */
export interface IncomingShareRow {
  source: string;
  user: string;
  share: string;
  fileCount: number;
  bytesUsed: number;
  generation: number | null;
  lastReceivedAt: string | null;
}

interface RawSource {
  name: string;
  fingerprint: string;
  pending_fingerprint: string | null;
  created_at: string;
  last_seen_at: string | null;
}

interface RawShare {
  source: string;
  user: string;
  share: string;
  file_count: number;
  bytes_used: number;
  generation: number | null;
  last_received_at: string | null;
}

function toSource(raw: RawSource): IncomingSourceRow {
  return {
    name: raw.name,
    fingerprint: raw.fingerprint,
    pendingFingerprint: raw.pending_fingerprint,
    createdAt: raw.created_at,
    lastSeenAt: raw.last_seen_at,
  };
}

function toShare(raw: RawShare): IncomingShareRow {
  return {
    source: raw.source,
    user: raw.user,
    share: raw.share,
    fileCount: raw.file_count,
    bytesUsed: raw.bytes_used,
    generation: raw.generation,
    lastReceivedAt: raw.last_received_at,
  };
}

/** An object written for a share since its last manifest commit. */
export interface UncommittedObject {
  /** The stored path, relative to the share folder. */
  path: string;
  bytes: number;
  /** The write replaced an object present at the last commit (kept by a cleanup, with its new content). */
  replaced: boolean;
}

type ShareKey = { source: string; user: string; share: string };

const SHARE_COLUMNS = 'source, user, share, file_count, bytes_used, generation, last_received_at';

/** All SQL of the receiving side: `incoming_sources` (certificate bindings) and `incoming_shares` (stats). */
export class IncomingRepo {
  constructor(private readonly db: Database) {}

  findSource(name: string): IncomingSourceRow | undefined {
    const raw = this.db.prepare('SELECT * FROM incoming_sources WHERE name = ?').get(name) as RawSource | undefined;
    return raw && toSource(raw);
  }

  listSources(): IncomingSourceRow[] {
    return (this.db.prepare('SELECT * FROM incoming_sources ORDER BY name').all() as RawSource[]).map(toSource);
  }

  /** Binds `name` to `fingerprint` unless it is bound already; true when this call made the binding. */
  bindSource(input: { name: string; fingerprint: string; at: string }): boolean {
    const result = this.db
      .prepare('INSERT INTO incoming_sources (name, fingerprint, created_at, last_seen_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING')
      .run(input.name, input.fingerprint, input.at, input.at);
    return result.changes === 1;
  }

  setPendingFingerprint(name: string, fingerprint: string): void {
    this.db.prepare('UPDATE incoming_sources SET pending_fingerprint = ? WHERE name = ?').run(fingerprint, name);
  }

  /** Makes the pending fingerprint the bound one; false when nothing was pending. */
  acceptPendingFingerprint(name: string): boolean {
    const result = this.db
      .prepare('UPDATE incoming_sources SET fingerprint = pending_fingerprint, pending_fingerprint = NULL WHERE name = ? AND pending_fingerprint IS NOT NULL')
      .run(name);
    return result.changes === 1;
  }

  touchSource(name: string, at: string): void {
    this.db.prepare('UPDATE incoming_sources SET last_seen_at = ? WHERE name = ?').run(at, name);
  }

  listShares(source?: string): IncomingShareRow[] {
    const rows =
      source === undefined
        ? this.db.prepare(`SELECT ${SHARE_COLUMNS} FROM incoming_shares ORDER BY source, user, share`).all()
        : this.db.prepare(`SELECT ${SHARE_COLUMNS} FROM incoming_shares WHERE source = ? ORDER BY user, share`).all(source);
    return (rows as RawShare[]).map(toShare);
  }

  /**
   * Adds to a share's counters (creating its row), and marks it received at `at`
   * when given. Counters never go below zero, so a stat that drifted cannot turn negative.
   */
  adjustShare(input: { source: string; user: string; share: string; files: number; bytes: number; receivedAt?: string }): void {
    this.db
      .prepare(
        `INSERT INTO incoming_shares (source, user, share, file_count, bytes_used, last_received_at)
         VALUES (@source, @user, @share, MAX(@files, 0), MAX(@bytes, 0), @receivedAt)
         ON CONFLICT(source, user, share) DO UPDATE SET
           file_count = MAX(file_count + @files, 0),
           bytes_used = MAX(bytes_used + @bytes, 0),
           last_received_at = COALESCE(@receivedAt, last_received_at)`,
      )
      .run({ ...input, receivedAt: input.receivedAt ?? null });
  }

  /** The generation the source announced with its last manifest or delta, if it announced one. */
  generationOf(input: { source: string; user: string; share: string }): number | undefined {
    const row = this.db
      .prepare('SELECT generation FROM incoming_shares WHERE source = @source AND user = @user AND share = @share')
      .get({ source: input.source, user: input.user, share: input.share }) as { generation: number | null } | undefined;
    return row?.generation ?? undefined;
  }

  /** The manifest generation the source announced with its last manifest. */
  setGeneration(input: { source: string; user: string; share: string; generation: number }): void {
    this.db
      .prepare('UPDATE incoming_shares SET generation = @generation WHERE source = @source AND user = @user AND share = @share')
      .run(input);
  }

  /**
   * Records objects about to be renamed into a share, in one transaction. A
   * path already recorded keeps its `replaced` flag: what counts is whether
   * an object was there at the last commit, not what this run wrote before.
   */
  recordUncommitted(ref: ShareKey, objects: readonly UncommittedObject[], batch: string | null = null): void {
    this.db.transaction(() => {
      insertRows(
        this.db,
        'incoming_uncommitted (source, user, share, path, bytes, replaced, batch)',
        // a later write of the path takes the mark: the object there is now the later write's
        'ON CONFLICT(source, user, share, path) DO UPDATE SET bytes = excluded.bytes, batch = excluded.batch',
        7,
        objects,
        (object) => [ref.source, ref.user, ref.share, object.path, object.bytes, object.replaced ? 1 : 0, batch],
      );
    })();
  }

  /** The batch was stored and counted: the objects it wrote at their final names are ordinary uncommitted objects now. */
  settleBatch(batch: string): void {
    this.db.prepare('UPDATE incoming_uncommitted SET batch = NULL WHERE batch = ?').run(batch);
  }

  /** The batch failed: forgets its objects still marked as its own and returns their stored paths (the files to remove). */
  abandonBatch(batch: string): Set<string> {
    const rows = this.db.prepare('DELETE FROM incoming_uncommitted WHERE batch = ? RETURNING path').all(batch) as { path: string }[];
    return new Set(rows.map((row) => row.path));
  }

  /** Objects of batches a crash interrupted: written at their final names, maybe incomplete, never counted. */
  unfinishedBatchObjects(): (ShareKey & { path: string })[] {
    return this.db.prepare('SELECT source, user, share, path FROM incoming_uncommitted WHERE batch IS NOT NULL').all() as (ShareKey & { path: string })[];
  }

  /** After their files were removed at start: the interrupted batches' records go. */
  forgetUnfinishedBatches(): void {
    this.db.prepare('DELETE FROM incoming_uncommitted WHERE batch IS NOT NULL').run();
  }

  listUncommitted(ref: ShareKey): UncommittedObject[] {
    const rows = this.db
      .prepare('SELECT path, bytes, replaced FROM incoming_uncommitted WHERE source = @source AND user = @user AND share = @share ORDER BY path')
      .all(ref) as { path: string; bytes: number; replaced: number }[];
    return rows.map((row) => ({ path: row.path, bytes: row.bytes, replaced: row.replaced === 1 }));
  }

  /** A manifest commit (no `paths`), or objects deleted or cleaned up: they are no longer uncommitted. */
  clearUncommitted(ref: ShareKey, paths?: readonly string[]): void {
    if (paths === undefined) {
      this.db.prepare('DELETE FROM incoming_uncommitted WHERE source = @source AND user = @user AND share = @share').run(ref);
      return;
    }
    const remove = this.db.prepare('DELETE FROM incoming_uncommitted WHERE source = @source AND user = @user AND share = @share AND path = @path');
    this.db.transaction(() => {
      for (const path of paths) remove.run({ ...ref, path });
    })();
  }

  /** Removes the stats of a source, one of its users, or one share; returns the totals removed. */
  /**
   * Records that an administrator deleted a source's, a user's or a share's
   * backups, before the files go: every share it covers gets a new incarnation.
   */
  recordReset(filter: { source: string; user?: string | undefined; share?: string | undefined }, deletedAt: string): void {
    this.db
      .prepare('INSERT INTO incoming_resets (source, user, share, deleted_at) VALUES (@source, @user, @share, @deletedAt)')
      .run({ source: filter.source, user: filter.user ?? null, share: filter.share ?? null, deletedAt });
  }

  /** The share's incarnation: the last deletion that covered it (0 when none did). It only grows. */
  incarnationOf(ref: { source: string; user: string; share: string }): number {
    const row = this.db
      .prepare(
        'SELECT COALESCE(MAX(id), 0) AS incarnation FROM incoming_resets WHERE source = @source AND (user IS NULL OR user = @user) AND (share IS NULL OR share = @share)',
      )
      .get(ref) as { incarnation: number };
    return row.incarnation;
  }

  deleteShares(filter: { source: string; user?: string; share?: string }): { fileCount: number; bytesUsed: number } {
    const where = ['source = @source'];
    if (filter.user !== undefined) where.push('user = @user');
    if (filter.share !== undefined) where.push('share = @share');
    const clause = where.join(' AND ');
    const params = { source: filter.source, user: filter.user ?? null, share: filter.share ?? null };
    return this.db.transaction(() => {
      const totals = this.db
        .prepare(`SELECT COALESCE(SUM(file_count), 0) AS fileCount, COALESCE(SUM(bytes_used), 0) AS bytesUsed FROM incoming_shares WHERE ${clause}`)
        .get(params) as { fileCount: number; bytesUsed: number };
      this.db.prepare(`DELETE FROM incoming_shares WHERE ${clause}`).run(params);
      this.db.prepare(`DELETE FROM incoming_uncommitted WHERE ${clause}`).run(params);
      return totals;
    })();
  }
}
