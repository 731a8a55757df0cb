import type { Database } from './database.js';

/**
 * When a share last synced successfully to one peer: a restore shows it as
 * the age of that peer's copy. (SyncLogsRepo answers per share, any peer.)
 */
export class LastSyncRepo {
  constructor(private readonly db: Database) {}

  lastSuccess(shareId: number, peerId: number): string | undefined {
    const row = this.db
      .prepare(`SELECT MAX(finished_at) AS finishedAt FROM sync_logs WHERE share_id = ? AND status = 'success' AND peer_id = ?`)
      .get(shareId, peerId) as { finishedAt: string | null } | undefined;
    return row?.finishedAt ?? undefined;
  }
}
