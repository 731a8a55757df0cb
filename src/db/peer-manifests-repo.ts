import type { Database } from './database.js';

/**
 * The manifest this server last wrote to (or read from) a peer for a share,
 * as plaintext JSON, with the peer's journal beside it: the sync asks the
 * peer only whether its generation is still this one. This server's own
 * data, plaintext as the share itself is here (docs/security.md).
 *
 * The JSON is kept in pieces (table `peer_manifest_pieces`, in order), each
 * saved as the run serializes it: the whole JSON is never joined for a save,
 * and SQLite never copies it whole (one BLOB cost two more copies while it
 * was inserted: issue 15, 44 MB each at 200,000 files).
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

/** A row to save: the manifest's JSON as pieces, in order (their join is the JSON), each saved as it comes. */
export type PeerManifestToSave = PeerManifestHead & { manifestPieces: Iterable<Buffer> };

export class PeerManifestsRepo {
  private readonly saveAll;

  constructor(private readonly db: Database) {
    const upsertHead = db.prepare(
      `INSERT INTO peer_manifests (share_id, peer_id, generation, base_bytes, journal_count, journal_bytes, journals, cache_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(share_id, peer_id) DO UPDATE SET generation = excluded.generation,
         base_bytes = excluded.base_bytes, journal_count = excluded.journal_count, journal_bytes = excluded.journal_bytes, journals = excluded.journals,
         cache_version = excluded.cache_version`,
    );
    const dropPieces = db.prepare('DELETE FROM peer_manifest_pieces WHERE share_id = ? AND peer_id = ?');
    const insertPiece = db.prepare('INSERT INTO peer_manifest_pieces (share_id, peer_id, seq, bytes) VALUES (?, ?, ?, ?)');
    // one transaction: a failure while the pieces come leaves the previous copy whole
    this.saveAll = db.transaction((shareId: number, peerId: number, row: PeerManifestToSave) => {
      upsertHead.run(shareId, peerId, row.generation, row.baseBytes, row.journalCount, row.journalBytes, row.journals ? 1 : 0, row.cacheVersion ?? null);
      dropPieces.run(shareId, peerId);
      let seq = 0;
      for (const piece of row.manifestPieces) insertPiece.run(shareId, peerId, seq++, piece);
    });
  }

  find(shareId: number, peerId: number): PeerManifestRow | undefined {
    const head = this.findHead(shareId, peerId);
    if (!head) return undefined;
    return { ...head, manifest: this.joinedPieces(shareId, peerId) };
  }

  /**
   * The pieces, in order, read one at a time as they are asked for: nothing joins them (known-manifest.ts parses
   * them one by one). None when there is no copy. The statement is busy until the iteration ends or is left.
   */
  *pieces(shareId: number, peerId: number): IterableIterator<Buffer> {
    for (const [bytes] of this.piecesQuery().iterate(shareId, peerId)) yield bytes;
  }

  private piecesQuery() {
    return this.db.prepare<[number, number], [Buffer]>('SELECT bytes FROM peer_manifest_pieces WHERE share_id = ? AND peer_id = ? ORDER BY seq').raw(true);
  }

  /** The pieces read one at a time into one buffer of their total length: the JSON once in memory, not twice. */
  private joinedPieces(shareId: number, peerId: number): Buffer {
    const { total } = this.db
      .prepare<[number, number], { total: number }>('SELECT COALESCE(SUM(length(bytes)), 0) AS total FROM peer_manifest_pieces WHERE share_id = ? AND peer_id = ?')
      .get(shareId, peerId) as { total: number };
    const manifest = Buffer.alloc(total);
    let offset = 0;
    for (const bytes of this.pieces(shareId, peerId)) offset += bytes.copy(manifest, offset);
    return manifest;
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

  /** Replaces the copy, its pieces included; the pieces are read one at a time, inside the transaction. */
  save(shareId: number, peerId: number, row: PeerManifestToSave): void {
    this.saveAll(shareId, peerId, row);
  }

  /** Records that the hash cache at `cacheVersion` lists exactly the files of the copy, if the copy is still at `generation`. */
  markCacheVersion(shareId: number, peerId: number, generation: number, cacheVersion: number): void {
    this.db.prepare('UPDATE peer_manifests SET cache_version = ? WHERE share_id = ? AND peer_id = ? AND generation = ?').run(cacheVersion, shareId, peerId, generation);
  }

  /** The pieces go with the row (ON DELETE CASCADE). */
  forget(shareId: number, peerId: number): void {
    this.db.prepare('DELETE FROM peer_manifests WHERE share_id = ? AND peer_id = ?').run(shareId, peerId);
  }
}
