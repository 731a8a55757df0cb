import type { Database } from './database.js';

/** What the scan last saw of a file: when size and mtime still match, the SHA-256 is still right. */
export interface FileHash {
  size: number;
  /** Integer milliseconds (floored), as the manifest records it. */
  mtimeMs: number;
  sha256: string;
}

export interface FileHashRow extends FileHash {
  relPath: string;
}

/** A cached row as `versionIfEvery` hands it over: relPath, size, mtimeMs and, when asked for, sha256. */
export type CachedRow = readonly [relPath: string, size: number, mtimeMs: number, sha256?: string];

/**
 * The size + mtime → SHA-256 cache of each share's files (table `file_hashes`).
 * Built for 50,000-file shares: one query to load a share, and each write
 * batch in one transaction over statements prepared once.
 *
 * Each share's cache has a version (table `file_hash_versions`) that every
 * write changing a row bumps, in the same transaction: "the cache at version V lists exactly
 * these files" stays true for as long as the version is V.
 */
export class FileHashesRepo {
  private readonly loadStatement;
  private readonly statStatement;
  private readonly upsertStatement;
  private readonly deleteStatement;
  private readonly versionStatement;
  private readonly bumpStatement;
  private readonly upsertAll;
  private readonly deleteAll;
  private readonly applyAll;

  constructor(db: Database) {
    // raw(): rows as arrays, which skips building an object per row on the hot no-change path;
    // ORDER BY rel_path is the primary key's own order (no sort step): rel_path's UTF-8 bytes (scan/cache-order.ts)
    this.loadStatement = db
      .prepare<[number], [string, number, number, string]>('SELECT rel_path, size, mtime_ms, sha256 FROM file_hashes WHERE share_id = ? ORDER BY rel_path')
      .raw(true);
    // without the SHA-256: a 64-character string less per row where only size and mtime are compared
    this.statStatement = db
      .prepare<[number], [string, number, number]>('SELECT rel_path, size, mtime_ms FROM file_hashes WHERE share_id = ? ORDER BY rel_path')
      .raw(true);
    this.versionStatement = db.prepare<[number], { version: number }>('SELECT version FROM file_hash_versions WHERE share_id = ?');
    this.bumpStatement = db.prepare<[number]>(
      'INSERT INTO file_hash_versions (share_id, version) VALUES (?, 1) ON CONFLICT(share_id) DO UPDATE SET version = version + 1',
    );
    this.upsertStatement = db.prepare<[number, string, number, number, string]>(
      `INSERT INTO file_hashes (share_id, rel_path, size, mtime_ms, sha256) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(share_id, rel_path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256
       WHERE size != excluded.size OR mtime_ms != excluded.mtime_ms OR sha256 != excluded.sha256`,
    );
    this.deleteStatement = db.prepare<[number, string]>('DELETE FROM file_hashes WHERE share_id = ? AND rel_path = ?');

    // the version moves only when a row did: a sync to a second peer that caches again what the first one cached
    // (the same size, mtime and SHA-256) leaves the first peer's agreement standing
    this.upsertAll = db.transaction((shareId: number, rows: Iterable<FileHashRow>) => {
      let changes = 0;
      for (const row of rows) changes += this.upsertStatement.run(shareId, row.relPath, row.size, row.mtimeMs, row.sha256).changes;
      if (changes > 0) this.bumpStatement.run(shareId);
    });
    this.deleteAll = db.transaction((shareId: number, relPaths: Iterable<string>) => {
      let changes = 0;
      for (const relPath of relPaths) changes += this.deleteStatement.run(shareId, relPath).changes;
      if (changes > 0) this.bumpStatement.run(shareId);
    });
    // nested better-sqlite3 transactions become savepoints, so this is one transaction in all
    this.applyAll = db.transaction((shareId: number, upsert: Iterable<FileHashRow>, remove: Iterable<string>) => {
      const from = this.version(shareId);
      this.deleteAll(shareId, remove);
      this.upsertAll(shareId, upsert);
      return { from, to: this.version(shareId) };
    });
  }

  /** The version of the share's cache: 0 before its first write, then bumped by every write that changes a row. */
  version(shareId: number): number {
    return this.versionStatement.get(shareId)?.version ?? 0;
  }

  /**
   * The cache's version if it holds exactly `count` rows for the share and
   * `agrees` accepts each; undefined at the first row it refuses. The rows and
   * the version are read in one synchronous go, so no write falls between
   * them. Rows come in rel_path order (its UTF-8 bytes), without their
   * SHA-256 unless `withSha256`.
   */
  versionIfEvery(shareId: number, count: number, agrees: (row: CachedRow) => boolean, options: { withSha256?: boolean } = {}): number | undefined {
    const version = this.version(shareId);
    let rows = 0;
    const statement = options.withSha256 ? this.loadStatement : this.statStatement;
    // leaving the loop early closes the statement's iterator
    for (const row of statement.iterate(shareId)) {
      rows += 1;
      if (rows > count || !agrees(row)) return undefined;
    }
    return rows === count ? version : undefined;
  }

  /** Every cached hash of a share, keyed by relPath, in one query. */
  loadForShare(shareId: number): Map<string, FileHash> {
    const hashes = new Map<string, FileHash>();
    for (const [relPath, size, mtimeMs, sha256] of this.loadStatement.all(shareId)) {
      hashes.set(relPath, { size, mtimeMs, sha256 });
    }
    return hashes;
  }

  /** Every cached hash of a share, one row at a time: nothing is held beyond the row in hand. */
  *rowsForShare(shareId: number): Generator<FileHashRow> {
    for (const [relPath, size, mtimeMs, sha256] of this.loadStatement.iterate(shareId)) yield { relPath, size, mtimeMs, sha256 };
  }

  upsertMany(shareId: number, rows: Iterable<FileHashRow>): void {
    this.upsertAll(shareId, rows);
  }

  deleteMany(shareId: number, relPaths: Iterable<string>): void {
    this.deleteAll(shareId, relPaths);
  }

  /**
   * A scan's write-back in one transaction: removals first, then upserts, so
   * a path in both lists ends with its new hash. Returns the cache's version
   * before and after it, read in the same transaction (`from` tells whether
   * another write came since a version read earlier).
   */
  apply(shareId: number, changes: { upsert: Iterable<FileHashRow>; remove: Iterable<string> }): { from: number; to: number } {
    return this.applyAll(shareId, changes.upsert, changes.remove);
  }
}
