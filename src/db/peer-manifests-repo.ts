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
  /** The version of the share's hash cache (FileHashesRepo) at which it listed exactly this manifest's files; undefined when unknown. */
  cacheVersion?: number | undefined;
}

/** A row without its manifest: what a run needs before it knows whether it must read the manifest at all. */
export type PeerManifestHead = Omit<PeerManifestRow, 'manifest'>;

export class PeerManifestsRepo {
  constructor(private readonly db: Database) {}

  find(shareId: number, peerId: number): PeerManifestRow | undefined {
    const head = this.findHead(shareId, peerId);
    if (!head) return undefined;
    const row = this.db.prepare('SELECT manifest FROM peer_manifests WHERE share_id = ? AND peer_id = ?').get(shareId, peerId) as { manifest: Buffer } | undefined;
    return row && { ...head, manifest: row.manifest };
  }

  /** The row without the manifest's bytes: a no-change run may never need them (known-manifest.ts). */
  findHead(shareId: number, peerId: number): PeerManifestHead | undefined {
    const row = this.db
      .prepare('SELECT generation, base_bytes, journal_count, journal_bytes, journals, cache_version FROM peer_manifests WHERE share_id = ? AND peer_id = ?')
      .get(shareId, peerId) as
      | { generation: number; base_bytes: number; journal_count: number; journal_bytes: number; journals: number; cache_version: number | null }
      | undefined;
    if (!row) return undefined;
    return {
      generation: row.generation,
      baseBytes: row.base_bytes,
      journalCount: row.journal_count,
      journalBytes: row.journal_bytes,
      journals: row.journals === 1,
      cacheVersion: row.cache_version ?? undefined,
    };
  }

  save(shareId: number, peerId: number, row: PeerManifestRow): void {
    this.db
      .prepare(
        `INSERT INTO peer_manifests (share_id, peer_id, generation, manifest, base_bytes, journal_count, journal_bytes, journals, cache_version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(share_id, peer_id) DO UPDATE SET generation = excluded.generation, manifest = excluded.manifest,
           base_bytes = excluded.base_bytes, journal_count = excluded.journal_count, journal_bytes = excluded.journal_bytes, journals = excluded.journals,
           cache_version = excluded.cache_version`,
      )
      .run(shareId, peerId, row.generation, row.manifest, row.baseBytes, row.journalCount, row.journalBytes, row.journals ? 1 : 0, row.cacheVersion ?? null);
  }

  /** Records that the hash cache at `cacheVersion` lists exactly the files of the copy, if the copy is still at `generation`. */
  markCacheVersion(shareId: number, peerId: number, generation: number, cacheVersion: number): void {
    this.db.prepare('UPDATE peer_manifests SET cache_version = ? WHERE share_id = ? AND peer_id = ? AND generation = ?').run(cacheVersion, shareId, peerId, generation);
  }

  forget(shareId: number, peerId: number): void {
    this.db.prepare('DELETE FROM peer_manifests WHERE share_id = ? AND peer_id = ?').run(shareId, peerId);
  }
}
