import type { Database } from './database.js';

export interface ShareSizeSample {
  shareId: number;
  username: string;
  shareName: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  files: number;
  bytes: number;
}

export interface BytesSentOnDay {
  day: string;
  bytes: number;
  runs: number;
}

/** The overview's history: each share's size once a day (the day's last scan), and bytes sent per day from the sync log. */
export class ShareStatsRepo {
  constructor(private readonly db: Database) {}

  /** One sample per share and UTC day: a later scan the same day replaces it. */
  recordSize(shareId: number, at: Date, size: { files: number; bytes: number }): void {
    this.db
      .prepare(
        `INSERT INTO share_size_samples (share_id, day, files, bytes) VALUES (?, ?, ?, ?)
         ON CONFLICT (share_id, day) DO UPDATE SET files = excluded.files, bytes = excluded.bytes`,
      )
      .run(shareId, utcDay(at), size.files, size.bytes);
  }

  /** Samples from `sinceDay` on, oldest first, with the share's owner and name. */
  sizeSamples(sinceDay: string, userId?: number): ShareSizeSample[] {
    return this.db
      .prepare(
        `SELECT s.share_id AS shareId, u.username, sh.name AS shareName, s.day, s.files, s.bytes
         FROM share_size_samples s JOIN shares sh ON sh.id = s.share_id JOIN users u ON u.id = sh.user_id
         WHERE s.day >= ? AND (? IS NULL OR sh.user_id = ?)
         ORDER BY s.day, u.username, sh.name`,
      )
      .all(sinceDay, userId ?? null, userId ?? null) as ShareSizeSample[];
  }

  /** Bytes the runs started on each UTC day sent (failed runs count what they moved), oldest first; days without runs are absent. */
  bytesSentPerDay(sinceDay: string, userId?: number): BytesSentOnDay[] {
    return this.db
      .prepare(
        `SELECT substr(started_at, 1, 10) AS day, SUM(bytes_transferred) AS bytes, COUNT(*) AS runs
         FROM sync_logs WHERE started_at >= ? AND (? IS NULL OR user_id = ?)
         GROUP BY day ORDER BY day`,
      )
      .all(sinceDay, userId ?? null, userId ?? null) as BytesSentOnDay[];
  }

  /** Drops samples older than `beforeDay`. */
  pruneBefore(beforeDay: string): number {
    return this.db.prepare('DELETE FROM share_size_samples WHERE day < ?').run(beforeDay).changes;
  }
}

/** The UTC day of a moment, as the samples and the sync log's days are keyed. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
