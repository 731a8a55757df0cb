import type { Database } from './database.js';

/** A large file's upload in progress to one peer: what the sender needs to continue the same ciphertext. */
export interface ResumableUploadRow {
  relPath: string;
  uploadId: string;
  /** The file version's 12-byte salt (the header of its ciphertext); not secret. */
  salt: Buffer;
  /** The source file when the upload began: another size, mtime or inode starts a new upload. */
  size: number;
  mtimeMs: number;
  inode: string;
  startedAt: string;
}

interface Row {
  rel_path: string;
  upload_id: string;
  salt: Buffer;
  size: number;
  mtime_ms: number;
  inode: string;
  started_at: string;
}

export class ResumableUploadsRepo {
  constructor(private readonly db: Database) {}

  find(shareId: number, peerId: number, relPath: string): ResumableUploadRow | undefined {
    const row = this.db.prepare('SELECT * FROM resumable_uploads WHERE share_id = ? AND peer_id = ? AND rel_path = ?').get(shareId, peerId, relPath) as Row | undefined;
    return row && { relPath: row.rel_path, uploadId: row.upload_id, salt: row.salt, size: row.size, mtimeMs: row.mtime_ms, inode: row.inode, startedAt: row.started_at };
  }

  save(shareId: number, peerId: number, row: ResumableUploadRow): void {
    this.db
      .prepare(
        `INSERT INTO resumable_uploads (share_id, peer_id, rel_path, upload_id, salt, size, mtime_ms, inode, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(share_id, peer_id, rel_path) DO UPDATE SET upload_id = excluded.upload_id, salt = excluded.salt,
           size = excluded.size, mtime_ms = excluded.mtime_ms, inode = excluded.inode, started_at = excluded.started_at`,
      )
      .run(shareId, peerId, row.relPath, row.uploadId, row.salt, row.size, row.mtimeMs, row.inode, row.startedAt);
  }

  remove(shareId: number, peerId: number, relPath: string): void {
    this.db.prepare('DELETE FROM resumable_uploads WHERE share_id = ? AND peer_id = ? AND rel_path = ?').run(shareId, peerId, relPath);
  }

  /** Forgets every upload of the share to the peer (the peer lost what it held of them). */
  forgetShare(shareId: number, peerId: number): void {
    this.db.prepare('DELETE FROM resumable_uploads WHERE share_id = ? AND peer_id = ?').run(shareId, peerId);
  }
}
