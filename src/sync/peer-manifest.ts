/**
 * The share's manifest on the peer, as one run reads and writes it: fetched
 * once at the start (or only its generation checked, against the source's
 * copy), then written as deltas from what the peer holds, or whole.
 */
import type { ManifestContext } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Manifest, ManifestFile } from '../manifest/manifest.js';
import { shouldFold, type ManifestDelta } from '../manifest/manifest-delta.js';
import type { ManifestEnvelope, ManifestState } from '../manifest/manifest-state.js';
import { openPeerManifest, sealedManifestStream, sealManifestDelta } from '../manifest/sealed-manifest.js';
import { generationOf, type KnownManifest, type SerializedKnownManifest } from './known-manifest.js';
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
  onManifestState(known: KnownManifest | SerializedKnownManifest | undefined): void;
  /**
   * The version of the share's hash cache if it lists exactly the files of
   * `files` (same size, mtime and SHA-256), else undefined: saved with the
   * copy, so the next run may find nothing to do without reading it.
   */
  cacheVersionOf?(files: ManifestState): number | undefined;
}

/** What the peer holds of the share's manifest, and whether deltas may be sent to it. */
export interface FetchedManifest {
  known: KnownManifest | undefined;
  journals: boolean;
  /** The peer said it is still at the generation of the source's copy (`known` is that copy). */
  unchanged?: boolean;
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
  const usable = knownManifest && (deps.lastGeneration === undefined || generationOf(knownManifest) >= deps.lastGeneration);
  const known = deps.force || !usable ? undefined : knownManifest;
  const fetched = await deps.session.fetchManifest(context.user, context.share, known && generationOf(known));
  if (fetched.kind === 'unchanged') {
    if (!known) throw new AnemoneError('PEER_PROTOCOL_ERROR', { message: 'The peer answered "unchanged" to a manifest request that named no generation' });
    return { known, journals: known.journals, unchanged: true };
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
 * the journal on the peer. The run's next manifest is one ManifestState,
 * changed in place: a delta is what changed since the previous write, so a
 * checkpoint costs what arrived since the last one, not the share's size.
 *
 * The source's copy of what the peer holds (known-manifest.ts) is saved
 * after the final write only: each save is the whole manifest. A run that
 * ends early leaves an older copy, which the next run sees as stale (its
 * generation is below the one recorded by onGenerationWritten) and fetches
 * the peer's manifest instead.
 */
export class PeerManifestWriter {
  /** What the peer holds, but for its files (those are `next` as of the last write); undefined when it holds nothing. */
  private peerHolds: (Omit<KnownManifest, 'manifest'> & { generation: number; createdAt: string }) | undefined;
  private generationWritten: number;
  /** A write reached the peer since the copy was last saved. */
  private unsaved = false;
  /** While a full manifest is sealed as it is sent, `next` is held still: what arrives meanwhile waits here. */
  private arrivedDuringFull: [relPath: string, entry: ManifestFile][] | undefined;

  constructor(
    private readonly deps: PeerManifestDeps & { now(): Date; onGenerationWritten(generation: number): void },
    private readonly fetched: FetchedManifest,
    private readonly next: ManifestState,
  ) {
    const known = fetched.known;
    this.peerHolds = known && { generation: generationOf(known), createdAt: known.manifest.createdAt, baseBytes: known.baseBytes, journal: known.journal, journals: known.journals };
    this.generationWritten = Math.max(known ? generationOf(known) : 0, deps.lastGeneration ?? 0);
  }

  /** The generation of the last manifest written (or of the peer's, when none was). */
  get generation(): number {
    return this.generationWritten;
  }

  /** The peer acknowledged this file: the next manifest lists it. */
  record(relPath: string, entry: ManifestFile): void {
    if (this.arrivedDuringFull) this.arrivedDuringFull.push([relPath, entry]);
    else this.next.set(relPath, entry);
  }

  /**
   * Writes the manifest as it stands: a checkpoint, or with `final` the run's
   * last one, without the files the run deletes afterwards.
   */
  async write(final?: { deletions: readonly string[] }): Promise<void> {
    if (final) for (const relPath of final.deletions) this.next.delete(relPath);
    const { delta, unchanged } = this.takeChange();
    // nothing changed since what the peer holds: no manifest at all (Force Sync writes one whole, to mend the journal)
    if (!(this.peerHolds && !this.deps.force && unchanged)) {
      const generation = this.generationWritten + 1;
      const envelope: ManifestEnvelope = { version: 1, ...this.deps.context, generation, createdAt: this.deps.now().toISOString() };
      this.generationWritten = generation;
      this.peerHolds = await this.writeDeltaOrFull(envelope, delta);
      this.unsaved = true;
      this.deps.onGenerationWritten(generation);
    }
    if (final && this.unsaved) this.saveCopy();
  }

  /**
   * What changed since the last write: as a delta when one may be sent, else
   * only whether anything did. The delta is not built when the write is
   * whole anyway — the peer holds nothing or keeps no journal, Force Sync,
   * or a delta of at least the entries added would already fold (every
   * checkpoint of a first sync: each one's new files outweigh a quarter of
   * the manifest before it).
   */
  private takeChange(): { delta?: Pick<ManifestDelta, 'files' | 'deleted'>; unchanged: boolean } {
    const holds = this.peerHolds;
    // a sealed delta is at least its plaintext: if that much folds, the delta would
    const deltaMayGo = holds && this.fetched.journals && !this.deps.force && !shouldFold(holds.journal, holds.baseBytes, this.next.minChangeBytes());
    if (!deltaMayGo) return { unchanged: !this.next.dropChanges() };
    const delta = this.next.takeChanges();
    return { delta, unchanged: Object.keys(delta.files).length === 0 && delta.deleted.length === 0 };
  }

  private saveCopy(): void {
    const holds = this.peerHolds;
    if (!holds) return;
    const { generation, createdAt, ...sizes } = holds;
    // the JSON straight from the Map, in pieces the save stores as they come: no object of every entry, no join
    const envelope: ManifestEnvelope = { version: 1, ...this.deps.context, generation, createdAt };
    const jsonPieces = () => this.next.serializedPieces(envelope);
    this.deps.onManifestState({ ...sizes, generation, jsonPieces, cacheVersion: this.deps.cacheVersionOf?.(this.next) });
    this.unsaved = false;
  }

  /** Sends `change` as a delta unless it folds; without one (takeChange), the full manifest. */
  private async writeDeltaOrFull(envelope: ManifestEnvelope, change: Pick<ManifestDelta, 'files' | 'deleted'> | undefined): Promise<NonNullable<PeerManifestWriter['peerHolds']>> {
    const { session, userKey, context } = this.deps;
    const { journals } = this.fetched;
    const peerHolds = this.peerHolds;
    // the totals and a delta are taken now: `next` goes on changing while the write is on its way
    const totals = this.next.totals();
    const { generation, createdAt } = envelope;
    if (change && peerHolds) {
      const delta: ManifestDelta = {
        version: 1,
        kind: 'delta',
        sourceServer: envelope.sourceServer,
        user: envelope.user,
        share: envelope.share,
        baseGeneration: peerHolds.generation,
        generation,
        createdAt,
        ...change,
      };
      const sealed = sealManifestDelta(userKey, delta);
      if (!shouldFold(peerHolds.journal, peerHolds.baseBytes, sealed.bytes.length)) {
        await session.putManifestDelta(context.user, context.share, generation, sealed.bytes, sealed.ctSha256, totals);
        const journal = { count: peerHolds.journal.count + 1, bytes: peerHolds.journal.bytes + sealed.bytes.length };
        return { generation, createdAt, baseBytes: peerHolds.baseBytes, journal, journals };
      }
    }
    const sent = await this.holdingStill(() =>
      session.putManifest(context.user, context.share, () => sealedManifestStream(userKey, context, this.next.serializedPieces(envelope)), generation, totals),
    );
    return { generation, createdAt, baseBytes: sent.bytes, journal: { count: 0, bytes: 0 }, journals };
  }

  /**
   * Runs `send` with `next` held still: a full manifest is sealed from it as
   * the peer reads, so it must list what it listed when the write began
   * (`takeChanges`, the totals). What arrives meanwhile is recorded after,
   * and goes with the next write.
   */
  private async holdingStill<T>(send: () => Promise<T>): Promise<T> {
    this.arrivedDuringFull = [];
    try {
      return await send();
    } finally {
      const arrived = this.arrivedDuringFull;
      this.arrivedDuringFull = undefined;
      for (const [relPath, entry] of arrived) this.next.set(relPath, entry);
    }
  }
}
