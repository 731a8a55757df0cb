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

  /**
   * The last successful sync of each share that syncs to each enabled peer,
   * named as they are now: a share or peer deleted, disabled or no longer
   * synced drops out (an alert on it would never clear).
   */
  lastSuccessOfEachPair(): { username: string; shareName: string; peerName: string; finishedAt: string }[] {
    return this.db
      .prepare(
        `SELECT u.username AS username, s.name AS shareName, p.name AS peerName, last.finishedAt AS finishedAt
         FROM (SELECT share_id, peer_id, MAX(finished_at) AS finishedAt FROM sync_logs WHERE status = 'success' AND share_id IS NOT NULL GROUP BY share_id, peer_id) last
         JOIN shares s ON s.id = last.share_id
         JOIN users u ON u.id = s.user_id
         JOIN peers p ON p.id = last.peer_id
         WHERE s.sync_enabled = 1 AND p.enabled = 1
         ORDER BY u.username, s.name, p.name`,
      )
      .all() as { username: string; shareName: string; peerName: string; finishedAt: string }[];
  }
}
