import type { Database } from './database.js';

/**
 * The manifest this server last wrote to (or read from) a peer for a share,
 * as plaintext JSON, with the peer's journal beside it: the sync asks the
 * peer only whether its generation is still this one. This server's own
 * data, plaintext as the share itself is here (docs/security.md).
 */
export interface PeerManifestRow {
  generation: number;
  manifest: Buffer;
  /** Size of the full encrypted manifest the peer holds. */
  baseBytes: number;
  journalCount: number;
  journalBytes: number;
  /** The peer keeps journals (it said so); an older peer takes full manifests only. */
  journals: boolean;
}

export class PeerManifestsRepo {
  constructor(private readonly db: Database) {}

  find(shareId: number, peerId: number): PeerManifestRow | undefined {
    const row = this.db
      .prepare('SELECT generation, manifest, base_bytes, journal_count, journal_bytes, journals FROM peer_manifests WHERE share_id = ? AND peer_id = ?')
      .get(shareId, peerId) as
      | { generation: number; manifest: Buffer; base_bytes: number; journal_count: number; journal_bytes: number; journals: number }
      | undefined;
    if (!row) return undefined;
    return {
      generation: row.generation,
      manifest: row.manifest,
      baseBytes: row.base_bytes,
      journalCount: row.journal_count,
      journalBytes: row.journal_bytes,
      journals: row.journals === 1,
    };
  }

  save(shareId: number, peerId: number, row: PeerManifestRow): void {
    this.db
      .prepare(
        `INSERT INTO peer_manifests (share_id, peer_id, generation, manifest, base_bytes, journal_count, journal_bytes, journals)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(share_id, peer_id) DO UPDATE SET generation = excluded.generation, manifest = excluded.manifest,
           base_bytes = excluded.base_bytes, journal_count = excluded.journal_count, journal_bytes = excluded.journal_bytes, journals = excluded.journals`,
      )
      .run(shareId, peerId, row.generation, row.manifest, row.baseBytes, row.journalCount, row.journalBytes, row.journals ? 1 : 0);
  }

  forget(shareId: number, peerId: number): void {
    this.db.prepare('DELETE FROM peer_manifests WHERE share_id = ? AND peer_id = ?').run(shareId, peerId);
  }
}
