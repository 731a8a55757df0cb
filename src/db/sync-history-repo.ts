import type { Database } from './database.js';
import { SYNC_LOG_COLUMNS, type SyncLogRow, type SyncStatus } from './sync-logs-repo.js';

/** Names of files a run sent or deleted kept per run and per action: enough to look through, bounded for a first sync of a large share. */
export const RUN_ENTRIES_LISTED = 10_000;

export interface SyncLogFilter {
  limit: number;
  offset: number;
  status?: SyncStatus | undefined;
  user?: string | undefined;
  share?: string | undefined;
  peer?: string | undefined;
  /** Successful runs that sent, deleted and skipped nothing become one row per day, share and peer. */
  foldQuiet: boolean;
}

/** A row of the log: one run, or (folded) the latest of `foldedRuns` quiet runs of that UTC day. */
export type SyncLogPageRow = SyncLogRow & { foldedRuns: number };

export interface RunEntry {
  action: 'sent' | 'deleted' | 'skipped';
  relPath: string;
  /** Plaintext bytes of a file sent; null for a deletion or a skipped file. */
  bytes: number | null;
  /** Why a file was skipped; null otherwise. */
  reason: string | null;
}

/** A run that changed nothing; the same words as the partial indexes sync_logs_quiet_days and sync_logs_changed (migration 13), so SQLite uses them. */
const QUIET = `status = 'success' AND file_count = 0 AND files_deleted = 0 AND not_backed_up = 0`;

/**
 * The sync log as history: paged with a total, filtered, quiet runs folded in
 * SQL (so a page holds `limit` lines and the total counts lines, not runs),
 * and the files each run sent and deleted.
 */
export class SyncHistoryRepo {
  private readonly recordAll: (logId: number, sent: readonly { relPath: string; bytes: number }[], deleted: readonly string[]) => void;

  constructor(private readonly db: Database) {
    this.recordAll = db.transaction((logId: number, sent: readonly { relPath: string; bytes: number }[], deleted: readonly string[]) => {
      db.prepare('UPDATE sync_logs SET files_deleted = ? WHERE id = ?').run(deleted.length, logId);
      const insert = db.prepare('INSERT INTO sync_run_entries (log_id, action, rel_path, bytes) VALUES (?, ?, ?, ?)');
      for (const file of sent.slice(0, RUN_ENTRIES_LISTED)) insert.run(logId, 'sent', file.relPath, file.bytes);
      for (const relPath of deleted.slice(0, RUN_ENTRIES_LISTED)) insert.run(logId, 'deleted', relPath, null);
    });
  }

  page(filter: SyncLogFilter): { rows: SyncLogPageRow[]; total: number } {
    const conditions: string[] = [];
    const params: (string | number)[] = [];
    for (const [column, value] of [
      ['status', filter.status],
      ['username', filter.user],
      ['share_name', filter.share],
      ['peer_name', filter.peer],
    ] as const) {
      if (value === undefined) continue;
      conditions.push(`${column} = ?`);
      params.push(value);
    }
    const where = conditions.map((condition) => `${condition} AND `).join('');
    if (!filter.foldQuiet) {
      const total = (this.db.prepare(`SELECT COUNT(*) AS count FROM sync_logs WHERE ${where} 1`).get(...params) as { count: number }).count;
      const rows = this.db
        .prepare(`SELECT ${SYNC_LOG_COLUMNS}, 1 AS foldedRuns FROM sync_logs WHERE ${where} 1 ORDER BY id DESC LIMIT ? OFFSET ?`)
        .all(...params, filter.limit, filter.offset) as SyncLogPageRow[];
      return { rows, total };
    }
    // days are UTC (the first ten characters of the ISO start time), like the bytes-per-day chart;
    // the quiet runs come grouped from their partial index
    const lines = `SELECT id AS log_id, 1 AS folded FROM sync_logs WHERE ${where} NOT (${QUIET})
      UNION ALL
      SELECT MAX(id), COUNT(*) FROM sync_logs WHERE ${where} ${QUIET} GROUP BY substr(started_at, 1, 10), username, share_name, peer_name`;
    const linesParams = [...params, ...params];
    // the lines are worked out once: the page of them carries the count of all
    const rows = this.db
      .prepare(
        `WITH lines AS (${lines}),
           page AS (SELECT log_id, folded, COUNT(*) OVER () AS total FROM lines ORDER BY log_id DESC LIMIT ? OFFSET ?)
         SELECT ${SYNC_LOG_COLUMNS}, page.folded AS foldedRuns, page.total AS total
         FROM page JOIN sync_logs ON sync_logs.id = page.log_id ORDER BY id DESC`,
      )
      .all(...linesParams, filter.limit, filter.offset) as (SyncLogPageRow & { total: number })[];
    // a page past the end has no row to carry the count
    const total = rows[0]?.total ?? (this.db.prepare(`WITH lines AS (${lines}) SELECT COUNT(*) AS count FROM lines`).get(...linesParams) as { count: number }).count;
    return { rows: rows.map(({ total: _total, ...row }) => row), total };
  }

  /** What a finished run sent and deleted: the count of deletions, and the first RUN_ENTRIES_LISTED names of each. */
  recordEntries(logId: number, done: { sent: readonly { relPath: string; bytes: number }[]; deleted: readonly string[] }): void {
    this.recordAll(logId, done.sent, done.deleted);
  }

  /**
   * The files of a run: sent, then deleted, then skipped (the skipped ones from the run's not-backed-up list).
   * Read at once, not iterated: an open iterator would hold the connection busy while a slow client reads, and the lists are capped.
   */
  entries(logId: number): RunEntry[] {
    return this.db
      .prepare(
        `SELECT * FROM (
           SELECT action, rel_path AS relPath, bytes, NULL AS reason FROM sync_run_entries WHERE log_id = ?
           UNION ALL
           SELECT 'skipped', rel_path, NULL, reason FROM sync_log_files WHERE log_id = ?
         ) ORDER BY CASE action WHEN 'sent' THEN 0 WHEN 'deleted' THEN 1 ELSE 2 END, relPath`,
      )
      .all(logId, logId) as RunEntry[];
  }

  /** Drops the file lists of runs started before `cutoffIso`; the runs' rows and counts stay. */
  pruneEntriesBefore(cutoffIso: string): number {
    const oldRuns = `SELECT id FROM sync_logs WHERE started_at < ?`;
    const sent = this.db.prepare(`DELETE FROM sync_run_entries WHERE log_id IN (${oldRuns})`).run(cutoffIso).changes;
    const skipped = this.db.prepare(`DELETE FROM sync_log_files WHERE log_id IN (${oldRuns})`).run(cutoffIso).changes;
    return sent + skipped;
  }
}
