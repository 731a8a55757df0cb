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

/**
 * The size + mtime → SHA-256 cache of each share's files (table `file_hashes`).
 * Built for 50,000-file shares: one query to load a share, and each write
 * batch in one transaction over statements prepared once.
 */
export class FileHashesRepo {
  private readonly loadStatement;
  private readonly upsertStatement;
  private readonly deleteStatement;
  private readonly upsertAll;
  private readonly deleteAll;
  private readonly applyAll;

  constructor(db: Database) {
    // raw(): rows as arrays, which skips building an object per row on the hot no-change path
    this.loadStatement = db
      .prepare<[number], [string, number, number, string]>('SELECT rel_path, size, mtime_ms, sha256 FROM file_hashes WHERE share_id = ?')
      .raw(true);
    this.upsertStatement = db.prepare<[number, string, number, number, string]>(
      `INSERT INTO file_hashes (share_id, rel_path, size, mtime_ms, sha256) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(share_id, rel_path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256`,
    );
    this.deleteStatement = db.prepare<[number, string]>('DELETE FROM file_hashes WHERE share_id = ? AND rel_path = ?');

    this.upsertAll = db.transaction((shareId: number, rows: Iterable<FileHashRow>) => {
      for (const row of rows) this.upsertStatement.run(shareId, row.relPath, row.size, row.mtimeMs, row.sha256);
    });
    this.deleteAll = db.transaction((shareId: number, relPaths: Iterable<string>) => {
      for (const relPath of relPaths) this.deleteStatement.run(shareId, relPath);
    });
    // nested better-sqlite3 transactions become savepoints, so this is one transaction in all
    this.applyAll = db.transaction((shareId: number, upsert: Iterable<FileHashRow>, remove: Iterable<string>) => {
      this.deleteAll(shareId, remove);
      this.upsertAll(shareId, upsert);
    });
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
   * a path in both lists ends with its new hash.
   */
  apply(shareId: number, changes: { upsert: Iterable<FileHashRow>; remove: Iterable<string> }): void {
    this.applyAll(shareId, changes.upsert, changes.remove);
  }
}
