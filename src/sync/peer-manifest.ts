/**
 * The share's manifest on the peer, as one run reads and writes it: fetched
 * once at the start (or only its generation checked, against the source's
 * copy), then written as deltas from what the peer holds, or whole.
 */
import type { ManifestContext } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { RemoteFiles } from '../manifest/diff.js';
import { type Manifest, manifestTotals } from '../manifest/manifest.js';
import { diffManifestFiles, shouldFold, type ManifestDelta } from '../manifest/manifest-delta.js';
import { openPeerManifest, sealManifest, sealManifestDelta } from '../manifest/sealed-manifest.js';
import type { KnownManifest } from './known-manifest.js';
import type { PeerSession } from './types.js';

export interface PeerManifestDeps {
  session: PeerSession;
  userKey: Buffer;
  context: ManifestContext;
  /** The highest generation this server wrote for the share on this peer, if any. */
  lastGeneration: number | undefined;
  /** Force Sync: fetch the manifest whole and write it whole. */
  force: boolean;
  /** What the peer holds now, after a fetch or a write; undefined when it holds nothing. */
  onManifestState(known: KnownManifest | undefined): void;
}

/** What the peer holds of the share's manifest, and whether deltas may be sent to it. */
export interface FetchedManifest {
  known: KnownManifest | undefined;
  journals: boolean;
}

/**
 * What the peer holds of the share's manifest. With a copy of the state the
 * peer last held, the peer is asked only whether it is still at that
 * generation (no body when it is); Force Sync, a first sync or another
 * generation fetch it whole, with its journal.
 */
export async function fetchPeerManifest(deps: PeerManifestDeps, knownManifest: KnownManifest | undefined): Promise<FetchedManifest> {
  const { context } = deps;
  // a copy older than what this server last wrote is stale (a crash between the write and the copy): ask for all
  const usable = knownManifest && (deps.lastGeneration === undefined || knownManifest.manifest.generation >= deps.lastGeneration);
  const known = deps.force || !usable ? undefined : knownManifest;
  const fetched = await deps.session.fetchManifest(context.user, context.share, known?.manifest.generation);
  if (fetched.kind === 'unchanged') {
    if (!known) throw new AnemoneError('PEER_PROTOCOL_ERROR', { message: 'The peer answered "unchanged" to a manifest request that named no generation' });
    return { known, journals: known.journals };
  }
  if (fetched.kind === 'missing') {
    // a peer that lost the share (its administrator deleted it) gets everything again
    deps.onManifestState(undefined);
    return { known: undefined, journals: fetched.journals };
  }
  let manifest: Manifest;
  try {
    manifest = openPeerManifest(deps.userKey, context, fetched, deps.lastGeneration);
  } catch (error) {
    // Force Sync mends a broken journal: it sends the share again and writes a full manifest
    if (!(deps.force && error instanceof AnemoneError && error.code === 'MANIFEST_CHAIN_BROKEN')) throw error;
    return { known: undefined, journals: fetched.journals };
  }
  const journal = { count: fetched.deltas.length, bytes: fetched.deltas.reduce((sum, delta) => sum + delta.bytes.length, 0) };
  const state: KnownManifest = { manifest, baseBytes: fetched.base.length, journal, journals: fetched.journals };
  deps.onManifestState(state);
  return { known: state, journals: fetched.journals };
}

/**
 * Writes the run's manifests, each one generation above the last: as a
 * delta from what the peer holds when it keeps journals and the journal is
 * still small (manifest-delta.ts, `shouldFold`), else whole — which replaces
 * the journal on the peer.
 */
export class PeerManifestWriter {
  private peerHolds: KnownManifest | undefined;
  private generationWritten: number;

  constructor(
    private readonly deps: PeerManifestDeps & { now(): Date; onGenerationWritten(generation: number): void },
    private readonly fetched: FetchedManifest,
  ) {
    this.peerHolds = fetched.known;
    this.generationWritten = Math.max(fetched.known?.manifest.generation ?? 0, deps.lastGeneration ?? 0);
  }

  /** The generation of the last manifest written (or of the peer's, when none was). */
  get generation(): number {
    return this.generationWritten;
  }

  async write(files: RemoteFiles): Promise<void> {
    const change = this.peerHolds ? diffManifestFiles(this.peerHolds.manifest.files, files) : undefined;
    // nothing changed since what the peer holds: no manifest at all (Force Sync writes one whole, to mend the journal)
    if (change && !this.deps.force && Object.keys(change.files).length === 0 && change.deleted.length === 0) return;
    const generation = this.generationWritten + 1;
    const createdAt = this.deps.now().toISOString();
    // a snapshot: the caller goes on changing `files` (checkpoints), and the next delta is computed from this
    const manifest: Manifest = { version: 1, ...this.deps.context, generation, createdAt, files: { ...files } };
    this.generationWritten = generation;
    this.peerHolds = await this.writeDeltaOrFull(manifest, change);
    this.deps.onManifestState(this.peerHolds);
    this.deps.onGenerationWritten(generation);
  }

  private async writeDeltaOrFull(manifest: Manifest, change: Pick<ManifestDelta, 'files' | 'deleted'> | undefined): Promise<KnownManifest> {
    const { session, userKey, context } = this.deps;
    const { journals } = this.fetched;
    const peerHolds = this.peerHolds;
    if (peerHolds && change && journals && !this.deps.force) {
      const delta: ManifestDelta = {
        version: 1,
        kind: 'delta',
        sourceServer: manifest.sourceServer,
        user: manifest.user,
        share: manifest.share,
        baseGeneration: peerHolds.manifest.generation,
        generation: manifest.generation,
        createdAt: manifest.createdAt,
        ...change,
      };
      const sealed = sealManifestDelta(userKey, delta);
      if (!shouldFold(peerHolds.journal, peerHolds.baseBytes, sealed.bytes.length)) {
        await session.putManifestDelta(context.user, context.share, manifest.generation, sealed.bytes, sealed.ctSha256, manifestTotals(manifest));
        const journal = { count: peerHolds.journal.count + 1, bytes: peerHolds.journal.bytes + sealed.bytes.length };
        return { manifest, baseBytes: peerHolds.baseBytes, journal, journals };
      }
    }
    const sealed = sealManifest(userKey, manifest);
    await session.putManifest(context.user, context.share, sealed.bytes, sealed.ctSha256, manifest.generation, manifestTotals(manifest));
    return { manifest, baseBytes: sealed.bytes.length, journal: { count: 0, bytes: 0 }, journals };
  }
}
