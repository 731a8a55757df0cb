/**
 * The source's copy of what a peer holds of a share's manifest: the state
 * (plaintext, this server's own data), the size of the full encrypted
 * manifest and of the journal beside it. With it a sync asks the peer only
 * for its generation, and sends deltas rather than the whole manifest.
 */
import type { PeerManifestsRepo, PeerManifestToSave } from '../db/index.js';
import type { JournalSize } from '../manifest/manifest-delta.js';
import { parseManifestPieces } from '../manifest/manifest-pieces.js';
import { parseManifest, serializeManifest, type Manifest } from '../manifest/manifest.js';

export interface KnownManifest {
  manifest: Manifest;
  baseBytes: number;
  journal: JournalSize;
  /** The peer keeps journals; an older peer takes full manifests only. */
  journals: boolean;
  /** The manifest's generation, known without reading `manifest` (which a copy loaded from the database parses on first use). */
  generation?: number;
  /** The version of the share's hash cache at which it listed exactly this manifest's files (FileHashesRepo); undefined when unknown. */
  cacheVersion?: number | undefined;
}

/** The same, with the manifest serialized as it is saved: what a run's writer saves, built from its Map (manifest-state.ts). */
export interface SerializedKnownManifest extends Omit<KnownManifest, 'manifest' | 'generation'> {
  generation: number;
  /**
   * The manifest's plaintext JSON in pieces, in order (joined, what serializeManifest gives), built as they are
   * read: the save stores each one as it comes, never the whole JSON at once. Read during the call only.
   */
  jsonPieces(): Iterable<Buffer>;
}

/** Thrown on the first read of a copy's `manifest` that this server cannot parse; the copy is forgotten. */
export class UnreadableCopyError extends Error {
  constructor(cause: unknown) {
    super("The source's copy of the peer's manifest cannot be read", { cause });
    this.name = 'UnreadableCopyError';
  }
}

/**
 * The copy, with its manifest read and parsed on first use only: a run where
 * nothing changed needs its generation and cache version, not its 200,000
 * entries (issue 15). A copy that cannot be parsed is forgotten on that
 * first use, which throws UnreadableCopyError.
 */
export function loadKnownManifest(repo: Pick<PeerManifestsRepo, 'findHead' | 'pieces' | 'find' | 'forget'>, shareId: number, peerId: number): KnownManifest | undefined {
  const head = repo.findHead(shareId, peerId);
  if (!head) return undefined;
  let parsed: Manifest | undefined;
  const open = (): Manifest => {
    try {
      const manifest = parseCopy(repo, shareId, peerId);
      if (manifest.generation !== head.generation) throw new Error(`the copy holds generation ${manifest.generation}, not ${head.generation}`);
      return manifest;
    } catch (error) {
      // a copy this server cannot read is no copy: the sync fetches the peer's manifest instead
      repo.forget(shareId, peerId);
      throw new UnreadableCopyError(error);
    }
  };
  return {
    get manifest() {
      parsed ??= open();
      return parsed;
    },
    generation: head.generation,
    baseBytes: head.baseBytes,
    journal: { count: head.journalCount, bytes: head.journalBytes },
    journals: head.journals,
    cacheVersion: head.cacheVersion,
  };
}

/**
 * The copy parsed piece by piece, as the run saved it. A copy in one piece (a fetched manifest saved whole) is
 * parsed from that piece, not read again; only pieces split otherwise are read again joined and parsed whole.
 */
function parseCopy(repo: Pick<PeerManifestsRepo, 'pieces' | 'find'>, shareId: number, peerId: number): Manifest {
  let count = 0;
  let only: Buffer | undefined;
  function* counted(): Generator<Buffer> {
    for (const piece of repo.pieces(shareId, peerId)) {
      count += 1;
      only = count === 1 ? piece : undefined;
      yield piece;
    }
  }
  return parseManifestPieces(counted()) ?? parseManifest(only ?? copyJson(repo, shareId, peerId));
}

/**
 * The copy's JSON, decoded in a call of its own so that its bytes (~8.5 MB
 * at 50,000 files) are garbage before the parse starts: the parse allocates
 * enough to collect them, rather than holding them beside the string and
 * the entries it builds (issue 15: the sender's peak in a "1 % changed" run).
 */
function copyJson(repo: Pick<PeerManifestsRepo, 'find'>, shareId: number, peerId: number): string {
  const row = repo.find(shareId, peerId);
  if (!row) throw new Error('the copy was removed');
  return row.manifest.toString('utf8');
}

/** The copy's generation, without parsing a copy loaded from the database. */
export function generationOf(known: KnownManifest): number {
  return known.generation ?? known.manifest.generation;
}

export function saveKnownManifest(repo: Pick<PeerManifestsRepo, 'save' | 'forget'>, shareId: number, peerId: number, known: KnownManifest | SerializedKnownManifest | undefined): void {
  if (!known) return repo.forget(shareId, peerId);
  const row: PeerManifestToSave = {
    ...('jsonPieces' in known
      ? { generation: known.generation, manifestPieces: known.jsonPieces() }
      : { generation: known.manifest.generation, manifestPieces: [serializeManifest(known.manifest)] }),
    baseBytes: known.baseBytes,
    journalCount: known.journal.count,
    journalBytes: known.journal.bytes,
    journals: known.journals,
    cacheVersion: known.cacheVersion,
  };
  repo.save(shareId, peerId, row);
}
