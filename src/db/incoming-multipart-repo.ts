import type { Database } from './database.js';

/** One part of a multipart upload the object store acknowledged. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
}

/** A multipart upload to the S3 incoming store, in flight. */
export interface MultipartRow {
  key: string;
  s3UploadId: string;
  kind: 'resumable' | 'put';
  source: string;
  user: string;
  share: string;
  storedPath: string;
  /** The source's id of a resumable upload; null for a single large upload. */
  uploadId: string | null;
  size: number;
  /** Bytes in the parts acknowledged. */
  bytes: number;
  parts: UploadedPart[];
  touchedAt: string;
}

interface Raw {
  key: string;
  s3_upload_id: string;
  kind: 'resumable' | 'put';
  source: string;
  user: string;
  share: string;
  stored_path: string;
  upload_id: string | null;
  size: number;
  bytes: number;
  parts: string;
  touched_at: string;
}

function toRow(raw: Raw): MultipartRow {
  return {
    key: raw.key,
    s3UploadId: raw.s3_upload_id,
    kind: raw.kind,
    source: raw.source,
    user: raw.user,
    share: raw.share,
    storedPath: raw.stored_path,
    uploadId: raw.upload_id,
    size: raw.size,
    bytes: raw.bytes,
    parts: JSON.parse(raw.parts) as UploadedPart[],
    touchedAt: raw.touched_at,
  };
}

/** The multipart uploads of the S3 incoming store (s3-store.ts): their ids live here so none is ever lost to abort. */
export class IncomingMultipartRepo {
  constructor(private readonly db: Database) {}

  add(row: Omit<MultipartRow, 'bytes' | 'parts'>): void {
    this.db
      .prepare(
        `INSERT INTO incoming_multipart (key, s3_upload_id, kind, source, user, share, stored_path, upload_id, size, touched_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.key, row.s3UploadId, row.kind, row.source, row.user, row.share, row.storedPath, row.uploadId, row.size, row.touchedAt);
  }

  /** The resumable upload of a stored path, if one is in flight. */
  findResumable(ref: { source: string; user: string; share: string }, storedPath: string): MultipartRow | undefined {
    const raw = this.db
      .prepare("SELECT * FROM incoming_multipart WHERE kind = 'resumable' AND source = ? AND user = ? AND share = ? AND stored_path = ?")
      .get(ref.source, ref.user, ref.share, storedPath) as Raw | undefined;
    return raw && toRow(raw);
  }

  addPart(s3UploadId: string, part: UploadedPart, touchedAt: string): void {
    const raw = this.db.prepare('SELECT parts FROM incoming_multipart WHERE s3_upload_id = ?').get(s3UploadId) as { parts: string } | undefined;
    if (raw === undefined) return;
    const parts = [...(JSON.parse(raw.parts) as UploadedPart[]), part];
    this.db
      .prepare('UPDATE incoming_multipart SET parts = ?, bytes = bytes + ?, touched_at = ? WHERE s3_upload_id = ?')
      .run(JSON.stringify(parts), part.size, touchedAt, s3UploadId);
  }

  touch(s3UploadId: string, touchedAt: string): void {
    this.db.prepare('UPDATE incoming_multipart SET touched_at = ? WHERE s3_upload_id = ?').run(touchedAt, s3UploadId);
  }

  remove(s3UploadId: string): void {
    this.db.prepare('DELETE FROM incoming_multipart WHERE s3_upload_id = ?').run(s3UploadId);
  }

  /** Uploads of `kind`, oldest touched first; with `source`, that source's only. */
  list(kind: 'resumable' | 'put', source?: string): MultipartRow[] {
    const rows = (
      source === undefined
        ? this.db.prepare('SELECT * FROM incoming_multipart WHERE kind = ? ORDER BY touched_at').all(kind)
        : this.db.prepare('SELECT * FROM incoming_multipart WHERE kind = ? AND source = ? ORDER BY touched_at').all(kind, source)
    ) as Raw[];
    return rows.map(toRow);
  }
}
