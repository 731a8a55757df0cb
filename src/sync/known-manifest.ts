/**
 * The source's copy of what a peer holds of a share's manifest: the state
 * (plaintext, this server's own data), the size of the full encrypted
 * manifest and of the journal beside it. With it a sync asks the peer only
 * for its generation, and sends deltas rather than the whole manifest.
 */
import type { PeerManifestRow, PeerManifestsRepo } from '../db/index.js';
import type { JournalSize } from '../manifest/manifest-delta.js';
import { parseManifest, serializeManifest, type Manifest } from '../manifest/manifest.js';

export interface KnownManifest {
  manifest: Manifest;
  baseBytes: number;
  journal: JournalSize;
  /** The peer keeps journals; an older peer takes full manifests only. */
  journals: boolean;
}

/** The same, with the manifest already serialized: what a run's writer saves, built from its Map (manifest-state.ts). */
export interface SerializedKnownManifest extends Omit<KnownManifest, 'manifest'> {
  generation: number;
  /** The manifest's plaintext JSON, as serializeManifest gives it. */
  json: Buffer;
}

export function loadKnownManifest(repo: Pick<PeerManifestsRepo, 'find' | 'forget'>, shareId: number, peerId: number): KnownManifest | undefined {
  const row = repo.find(shareId, peerId);
  if (!row) return undefined;
  try {
    const manifest = parseManifest(row.manifest);
    return { manifest, baseBytes: row.baseBytes, journal: { count: row.journalCount, bytes: row.journalBytes }, journals: row.journals };
  } catch {
    // a copy this server cannot read is no copy: the sync fetches the peer's manifest instead
    repo.forget(shareId, peerId);
    return undefined;
  }
}

export function saveKnownManifest(repo: Pick<PeerManifestsRepo, 'save' | 'forget'>, shareId: number, peerId: number, known: KnownManifest | SerializedKnownManifest | undefined): void {
  if (!known) return repo.forget(shareId, peerId);
  const row: PeerManifestRow = {
    ...('json' in known ? { generation: known.generation, manifest: known.json } : { generation: known.manifest.generation, manifest: serializeManifest(known.manifest) }),
    baseBytes: known.baseBytes,
    journalCount: known.journal.count,
    journalBytes: known.journal.bytes,
    journals: known.journals,
  };
  repo.save(shareId, peerId, row);
}
