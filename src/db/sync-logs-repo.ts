import type { Database } from './database.js';

export type SyncStatus = 'running' | 'success' | 'failure' | 'interrupted';

export interface SyncLogRow {
  id: number;
  userId: number | null;
  username: string;
  shareId: number | null;
  shareName: string;
  peerId: number | null;
  peerName: string;
  startedAt: string;
  finishedAt: string | null;
  status: SyncStatus;
  fileCount: number;
  bytesTransferred: number;
  errorCode: string | null;
  error: string | null;
  hint: string | null;
  /** Files this run left out (see sync_log_files for the first of them). */
  notBackedUp: number;
  /** 1 for a run as started; 2 and up for the automatic retries of a failed scheduled run. */
  attempt: number;
  /** Files this run deleted on the peer (their names: sync_run_entries). */
  filesDeleted: number;
}

export interface NotBackedUpFile {
  relPath: string;
  reason: string;
}

/** Rows kept per run: enough to act on, bounded so a share of unreadable files cannot fill the database. */
export const NOT_BACKED_UP_LISTED = 1000;

export const SYNC_LOG_COLUMNS = `id, user_id AS userId, username, share_id AS shareId, share_name AS shareName, peer_id AS peerId,
  peer_name AS peerName, started_at AS startedAt, finished_at AS finishedAt, status, file_count AS fileCount,
  bytes_transferred AS bytesTransferred, error_code AS errorCode, error, hint, not_backed_up AS notBackedUp, attempt, files_deleted AS filesDeleted`;

/** One row per sync run of a share to a peer, written when it starts and completed when it ends. */
export class SyncLogsRepo {
  private readonly recordAll: (id: number, files: readonly NotBackedUpFile[]) => void;

  constructor(private readonly db: Database) {
    this.recordAll = db.transaction((id: number, files: readonly NotBackedUpFile[]) => {
      db.prepare('UPDATE sync_logs SET not_backed_up = ? WHERE id = ?').run(files.length, id);
      const insert = db.prepare('INSERT INTO sync_log_files (log_id, rel_path, reason) VALUES (?, ?, ?)');
      for (const file of files.slice(0, NOT_BACKED_UP_LISTED)) insert.run(id, file.relPath, file.reason);
    });
  }

  insertRunning(input: { userId: number; username: string; shareId: number; shareName: string; peerId: number; peerName: string; startedAt: string; attempt?: number }): number {
    const result = this.db
      .prepare(
        `INSERT INTO sync_logs (user_id, username, share_id, share_name, peer_id, peer_name, started_at, status, attempt)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)`,
      )
      .run(input.userId, input.username, input.shareId, input.shareName, input.peerId, input.peerName, input.startedAt, input.attempt ?? 1);
    return Number(result.lastInsertRowid);
  }

  /** Progress of a running sync, so a crash still leaves the counts reached. */
  updateCounts(id: number, fileCount: number, bytesTransferred: number): void {
    this.db.prepare('UPDATE sync_logs SET file_count = ?, bytes_transferred = ? WHERE id = ?').run(fileCount, bytesTransferred, id);
  }

  finish(
    id: number,
    input: { status: Exclude<SyncStatus, 'running'>; finishedAt: string; fileCount: number; bytesTransferred: number; errorCode?: string | undefined; error?: string | undefined; hint?: string | undefined },
  ): void {
    this.db
      .prepare(
        `UPDATE sync_logs SET status = ?, finished_at = ?, file_count = ?, bytes_transferred = ?, error_code = ?, error = ?, hint = ?
         WHERE id = ?`,
      )
      .run(input.status, input.finishedAt, input.fileCount, input.bytesTransferred, input.errorCode ?? null, input.error ?? null, input.hint ?? null, id);
  }

  /** The files a run left out: the total, and the first NOT_BACKED_UP_LISTED of them. */
  recordNotBackedUp(id: number, files: readonly NotBackedUpFile[]): void {
    this.recordAll(id, files);
  }


  notBackedUpFiles(id: number): NotBackedUpFile[] {
    return this.db.prepare('SELECT rel_path AS relPath, reason FROM sync_log_files WHERE log_id = ? ORDER BY rowid').all(id) as NotBackedUpFile[];
  }

  /**
   * Shares whose last successful run to some peer left files out, with the
   * run that left out the most: the dashboard shows those shares.
   */
  lastRunNotBackedUpByShare(): Map<number, { logId: number; peerName: string; count: number; finishedAt: string }> {
    const rows = this.db
      .prepare(
        `SELECT l.share_id AS shareId, l.id AS logId, l.peer_name AS peerName, l.not_backed_up AS count, l.finished_at AS finishedAt
         FROM sync_logs l
         WHERE l.share_id IS NOT NULL AND l.not_backed_up > 0
           AND l.id = (SELECT MAX(id) FROM sync_logs m WHERE m.share_id = l.share_id AND m.peer_id IS l.peer_id AND m.status = 'success')`,
      )
      .all() as { shareId: number; logId: number; peerName: string; count: number; finishedAt: string }[];
    const byShare = new Map<number, { logId: number; peerName: string; count: number; finishedAt: string }>();
    for (const row of rows) {
      const known = byShare.get(row.shareId);
      if (!known || row.count > known.count) byShare.set(row.shareId, { logId: row.logId, peerName: row.peerName, count: row.count, finishedAt: row.finishedAt });
    }
    return byShare;
  }

  /** Zombie cleanup: rows left `running` by a process that died end as `interrupted`. */
  interruptRunning(finishedAt: string): number {
    return this.db
      .prepare(
        `UPDATE sync_logs SET status = 'interrupted', finished_at = ?, error_code = 'SYNC_INTERRUPTED',
           error = 'The server stopped while this sync was running', hint = 'Nothing to do: the next sync resumes where it stopped.'
         WHERE status = 'running'`,
      )
      .run(finishedAt).changes;
  }

  list(filter: { limit: number; status?: SyncStatus | undefined }): SyncLogRow[] {
    if (filter.status) {
      return this.db
        .prepare(`SELECT ${SYNC_LOG_COLUMNS} FROM sync_logs WHERE status = ? ORDER BY id DESC LIMIT ?`)
        .all(filter.status, filter.limit) as SyncLogRow[];
    }
    return this.db.prepare(`SELECT ${SYNC_LOG_COLUMNS} FROM sync_logs ORDER BY id DESC LIMIT ?`).all(filter.limit) as SyncLogRow[];
  }

  /**
   * The latest failures that still need attention: a failure of a share to a
   * peer leaves this list once that same share and peer synced successfully
   * after it. Newest first.
   */
  unresolvedFailures(limit: number): SyncLogRow[] {
    return this.db
      .prepare(
        `SELECT ${SYNC_LOG_COLUMNS} FROM sync_logs f WHERE f.status = 'failure'
           AND NOT EXISTS (SELECT 1 FROM sync_logs s WHERE s.status = 'success' AND s.share_id = f.share_id AND s.peer_id IS f.peer_id AND s.id > f.id)
         ORDER BY f.id DESC LIMIT ?`,
      )
      .all(limit) as SyncLogRow[];
  }

  /** The id of the latest run of a share to a peer, whatever its status. */
  latestRunId(shareId: number, peerId: number): number | undefined {
    const row = this.db.prepare('SELECT MAX(id) AS id FROM sync_logs WHERE share_id = ? AND peer_id = ?').get(shareId, peerId) as { id: number | null };
    return row.id ?? undefined;
  }

  findById(id: number): SyncLogRow | undefined {
    return this.db.prepare(`SELECT ${SYNC_LOG_COLUMNS} FROM sync_logs WHERE id = ?`).get(id) as SyncLogRow | undefined;
  }

  /** How many runs ended with each status (a run still running is not counted); the counts only grow. */
  endedRunsByStatus(): Map<Exclude<SyncStatus, 'running'>, number> {
    const rows = this.db.prepare(`SELECT status, COUNT(*) AS count FROM sync_logs WHERE status != 'running' GROUP BY status`).all() as {
      status: Exclude<SyncStatus, 'running'>;
      count: number;
    }[];
    return new Map(rows.map((row) => [row.status, row.count]));
  }

  /** The finish time of the last successful sync of each share (to any peer). */
  lastSuccessByShare(): Map<number, string> {
    const rows = this.db
      .prepare(`SELECT share_id AS shareId, MAX(finished_at) AS finishedAt FROM sync_logs WHERE status = 'success' AND share_id IS NOT NULL GROUP BY share_id`)
      .all() as { shareId: number; finishedAt: string }[];
    return new Map(rows.map((row) => [row.shareId, row.finishedAt]));
  }
}
