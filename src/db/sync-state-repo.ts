import type { Database } from './database.js';

/** The highest manifest generation this server wrote for a share on a peer: a peer serving a lower one is refused. */
export class SyncStateRepo {
  constructor(private readonly db: Database) {}

  lastGeneration(shareId: number, peerId: number): number | undefined {
    const row = this.db.prepare('SELECT generation FROM sync_state WHERE share_id = ? AND peer_id = ?').get(shareId, peerId) as
      | { generation: number }
      | undefined;
    return row?.generation;
  }

  recordGeneration(shareId: number, peerId: number, generation: number): void {
    this.db
      .prepare(
        `INSERT INTO sync_state (share_id, peer_id, generation) VALUES (?, ?, ?)
         ON CONFLICT(share_id, peer_id) DO UPDATE SET generation = MAX(generation, excluded.generation)`,
      )
      .run(shareId, peerId, generation);
  }
}
