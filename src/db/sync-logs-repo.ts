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
}

const COLUMNS = `id, user_id AS userId, username, share_id AS shareId, share_name AS shareName, peer_id AS peerId,
  peer_name AS peerName, started_at AS startedAt, finished_at AS finishedAt, status, file_count AS fileCount,
  bytes_transferred AS bytesTransferred, error_code AS errorCode, error, hint`;

/** One row per sync run of a share to a peer, written when it starts and completed when it ends. */
export class SyncLogsRepo {
  constructor(private readonly db: Database) {}

  insertRunning(input: { userId: number; username: string; shareId: number; shareName: string; peerId: number; peerName: string; startedAt: string }): number {
    const result = this.db
      .prepare(
        `INSERT INTO sync_logs (user_id, username, share_id, share_name, peer_id, peer_name, started_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`,
      )
      .run(input.userId, input.username, input.shareId, input.shareName, input.peerId, input.peerName, input.startedAt);
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
        .prepare(`SELECT ${COLUMNS} FROM sync_logs WHERE status = ? ORDER BY id DESC LIMIT ?`)
        .all(filter.status, filter.limit) as SyncLogRow[];
    }
    return this.db.prepare(`SELECT ${COLUMNS} FROM sync_logs ORDER BY id DESC LIMIT ?`).all(filter.limit) as SyncLogRow[];
  }

  /** The id of the latest run of a share to a peer, whatever its status. */
  latestRunId(shareId: number, peerId: number): number | undefined {
    const row = this.db.prepare('SELECT MAX(id) AS id FROM sync_logs WHERE share_id = ? AND peer_id = ?').get(shareId, peerId) as { id: number | null };
    return row.id ?? undefined;
  }

  findById(id: number): SyncLogRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM sync_logs WHERE id = ?`).get(id) as SyncLogRow | undefined;
  }

  /** The finish time of the last successful sync of each share (to any peer). */
  lastSuccessByShare(): Map<number, string> {
    const rows = this.db
      .prepare(`SELECT share_id AS shareId, MAX(finished_at) AS finishedAt FROM sync_logs WHERE status = 'success' AND share_id IS NOT NULL GROUP BY share_id`)
      .all() as { shareId: number; finishedAt: string }[];
    return new Map(rows.map((row) => [row.shareId, row.finishedAt]));
  }
}
