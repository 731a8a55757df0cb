import type { FileHashesRepo } from '../db/file-hashes-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { LocalFileState, RemoteFiles } from '../manifest/diff.js';
import type { ManifestState } from '../manifest/manifest-state.js';
import { resolveShareRoot, type ShareRoot } from '../scan/open-share-file.js';
import { ShareMissingError, scanShare, walkUnlessUnchanged } from '../scan/scan-share.js';
import type { WalkResult } from '../scan/walk-share.js';
import { executePlan } from './execute-plan.js';
import { generationOf, UnreadableCopyError, type KnownManifest, type SerializedKnownManifest } from './known-manifest.js';
import { describeSkipReason } from './not-backed-up.js';
import { fetchPeerManifest, PeerManifestWriter, type FetchedManifest } from './peer-manifest.js';
import { planShareSync, type SharePlan } from './plan-share.js';
import type { ResumableUploadDeps } from './resumable-upload.js';
import type { PeerSession, SyncProgress, SyncTestHooks } from './types.js';

export interface ShareSyncInput {
  serverName: string;
  username: string;
  shareId: number;
  shareName: string;
  shareRoot: string;
  userKey: Buffer;
  session: PeerSession;
  /** The highest generation this server wrote for the share on this peer, if any. */
  lastGeneration: number | undefined;
  /** The source's copy of what the peer holds (known-manifest.ts): the run then asks the peer only for its generation. */
  knownManifest: KnownManifest | undefined;
  /** What the peer holds now, after a fetch or a write; undefined when it holds nothing. */
  onManifestState(known: KnownManifest | SerializedKnownManifest | undefined): void;
  /** The hash cache at `cacheVersion` lists exactly the files of the copy at `generation` (a run that found nothing to do). */
  onCacheAgreement(generation: number, cacheVersion: number): void;
  /** Force Sync: check what the peer actually stores, not only its manifest; fetch it whole and write it whole. */
  force: boolean;
  /** The held plan (`HeldPlan.planId`) an administrator confirmed after a guard held it. */
  confirmedPlan?: string | undefined;
  signal: AbortSignal;
  hashes: FileHashesRepo;
  onProgress(update: Partial<SyncProgress>): void;
  onGenerationWritten(generation: number): void;
  now(): Date;
  /** Large files as resumable uploads (what to resume, how to retry); without it they are sent whole. */
  resumable?: ResumableUploadDeps | undefined;
  /** Test only (see SyncTestHooks); absent in production. */
  testHooks?: SyncTestHooks;
}

export interface ShareSyncResult {
  filesUploaded: number;
  filesDeleted: number;
  bytesTransferred: number;
  /** Files left out of this run (unreadable, changed, refused by the peer…), each with why; hidden files are not listed. */
  skipped: { relPath: string; reason: string }[];
  /** The first files the peer acknowledged, with their plaintext size: what the run's history lists (RUN_ENTRIES_LISTED at most). */
  sent: { relPath: string; bytes: number }[];
  /** The files deleted on the peer. */
  deleted: readonly string[];
  /** What the scan found in the share (files and plaintext bytes): the overview's size history; undefined when the share folder is missing. */
  shareSize: { files: number; bytes: number } | undefined;
  generation: number;
  /** The run found nothing to do from the walk and the hash cache alone (the copy of the peer's manifest was not read). */
  endedAfterWalk?: true;
}

/**
 * One sync of one share to one peer: fetch the peer's manifest, scan, plan,
 * let the guard hold the plan, then carry it out (execute-plan.ts: objects
 * first, manifest last, deletions after).
 */
export async function runShareSync(input: ShareSyncInput): Promise<ShareSyncResult> {
  const { session, username: user, shareName: share } = input;
  const manifestDeps = {
    session,
    userKey: input.userKey,
    context: { sourceServer: input.serverName, user, share },
    lastGeneration: input.lastGeneration,
    force: input.force,
    onManifestState: input.onManifestState,
    now: input.now,
    onGenerationWritten: input.onGenerationWritten,
    cacheVersionOf: (files: ManifestState) => cacheVersionOf(input, files),
  };

  // the peer's manifest first: files it cannot hold (new, or of another size) need no hashing before they are sent
  input.onProgress({ phase: 'planning' });
  let fetched = await fetchPeerManifest(manifestDeps, input.knownManifest);

  input.onProgress({ phase: 'scanning' });
  // Nothing changed since the last run: the peer is still at the copy's generation, and the share agrees with the
  // hash cache at the version that listed exactly the copy's files. The run costs the walk and that comparison:
  // the copy is not even parsed (issue 15). Force Sync always looks at everything.
  let walk: WalkResult | undefined;
  const copy = fetched.unchanged ? fetched.known : undefined;
  if (copy?.cacheVersion !== undefined && !input.force) {
    const quick = await walkUnlessUnchanged(input.shareRoot, { shareId: input.shareId, hashes: input.hashes, cacheVersion: copy.cacheVersion, signal: input.signal }).catch(
      // a missing share is the full path's case (the guard)
      (error: unknown) => (error instanceof ShareMissingError ? undefined : Promise.reject(error)),
    );
    checkAborted(input.signal);
    if (quick?.unchanged) {
      input.onProgress({ phase: 'finishing', filesTotal: 0, bytesTotal: 0, filesDone: 0, bytesDone: 0 });
      const skipped = quick.skipped.map((entry) => ({ relPath: entry.relPath, reason: describeSkipReason(entry.reason, entry.detail) }));
      const generation = Math.max(generationOf(copy), input.lastGeneration ?? 0);
      return { ...nothingDone(), skipped, shareSize: { files: quick.fileCount, bytes: quick.bytes }, generation, endedAfterWalk: true };
    }
    walk = quick?.walk;
  }
  let remote: RemoteFiles | null;
  try {
    remote = fetched.known?.manifest.files ?? null;
  } catch (error) {
    if (!(error instanceof UnreadableCopyError)) throw error;
    // the copy could not be read (and is forgotten): the peer's manifest, whole
    fetched = await fetchPeerManifest(manifestDeps, undefined);
    remote = fetched.known?.manifest.files ?? null;
  }

  const prepared = await scanAndPlan(input, fetched, remote, walk);
  // the walk's record of every file went into the scan: not held while the plan is carried out
  walk = undefined;
  if ('finished' in prepared) return prepared.finished;
  const { run } = prepared;
  const manifests = new PeerManifestWriter(manifestDeps, fetched, run.next);
  const done = await executePlan({
    plan: run,
    session,
    context: manifestDeps.context,
    shareId: input.shareId,
    shareRoot: run.shareRoot,
    userKey: input.userKey,
    manifests,
    hashes: input.hashes,
    signal: input.signal,
    onProgress: input.onProgress,
    resumable: input.resumable,
    testHooks: input.testHooks,
  });
  return { ...done, skipped: [...run.skipped, ...done.skipped], shareSize: run.shareSize, generation: manifests.generation };
}

/**
 * What executePlan needs of the scan and the plan. Nothing else of them
 * outlives scanAndPlan: the scan's Map of the share's files and the diff's
 * lists (~0.2 KB a file, 40 MB at 200,000 files) are garbage before the
 * upload starts, not held to the final manifest (issue 15: the sender's peak).
 */
interface PlannedRun extends Pick<SharePlan, 'uploads' | 'deletions'> {
  /** The manifest that describes the peer after the run, as it starts. */
  next: ManifestState;
  shareRoot: ShareRoot | undefined;
  skipped: ShareSyncResult['skipped'];
  shareSize: ShareSyncResult['shareSize'];
}

/** Scans, plans and lets the guard hold the plan; a run that changes nothing ends here. */
async function scanAndPlan(
  input: ShareSyncInput,
  fetched: FetchedManifest,
  remote: RemoteFiles | null,
  walk: WalkResult | undefined,
): Promise<{ finished: ShareSyncResult } | { run: PlannedRun }> {
  const { session, username: user, shareName: share } = input;
  const scanned = await scanForSync(input, remote, walk);
  checkAborted(input.signal);

  // Force Sync checks what the peer actually stores, not only what its manifest lists
  const storedOnPeer = input.force && remote ? new Map((await session.listFiles(user, share)).map((file) => [file.path, file.size])) : undefined;
  const plan = planShareSync({ ...scanned, shareLabel: `${user}/${share}`, remote, storedOnPeer, confirmedPlan: input.confirmedPlan });
  throwIfHeld(plan, input.confirmedPlan);
  const shareSize = scanned.shareMissing ? undefined : sizeOf(scanned.local);

  // a run where nothing changed costs the scan and the comparison: no next manifest is built, none is written
  // (Force Sync writes one whole even then, to mend the journal)
  if (plan.changesNothing && fetched.known && !input.force) {
    input.onProgress({ phase: 'finishing', filesTotal: 0, bytesTotal: 0, filesDone: 0, bytesDone: 0 });
    // the peer's files are the scan's, and the cache's at this version: the next run may skip all but the walk
    // (not while the peer keeps files the scan could not read: its manifest then lists more than the cache)
    if (scanned.cacheVersion !== undefined && plan.diff.kept.length === 0) input.onCacheAgreement(generationOf(fetched.known), scanned.cacheVersion);
    const generation = Math.max(generationOf(fetched.known), input.lastGeneration ?? 0);
    return { finished: { ...nothingDone(), skipped: scanned.skipped, shareSize, generation } };
  }
  const { uploads, deletions } = plan;
  return { run: { uploads, deletions, next: plan.startNextManifest(), shareRoot: scanned.shareRoot, skipped: scanned.skipped, shareSize } };
}

function nothingDone(): Pick<ShareSyncResult, 'filesUploaded' | 'filesDeleted' | 'bytesTransferred' | 'sent' | 'deleted'> {
  return { filesUploaded: 0, filesDeleted: 0, bytesTransferred: 0, sent: [], deleted: [] };
}

/** The hash cache's version if it lists exactly the files of `files`, each with the same size, mtime and SHA-256. */
function cacheVersionOf(input: Pick<ShareSyncInput, 'hashes' | 'shareId'>, files: ManifestState): number | undefined {
  return input.hashes.versionIfEvery(
    input.shareId,
    files.totals().fileCount,
    // each row compared in place: no entry built per row (200,000 at the end of a large first sync)
    ([relPath, size, mtimeMs, sha256]) => sha256 !== undefined && files.agrees(relPath, size, mtimeMs, sha256),
    { withSha256: true },
  );
}

function sizeOf(files: ReadonlyMap<string, LocalFileState>): { files: number; bytes: number } {
  let bytes = 0;
  for (const file of files.values()) bytes += file.size;
  return { files: files.size, bytes };
}

interface ScannedShare {
  local: ReadonlyMap<string, LocalFileState>;
  /** Files that exist but could not be read this time: the peer's copies of them are kept. */
  unread: string[];
  shareMissing: boolean;
  skipped: ShareSyncResult['skipped'];
  /** Resolved once for the run: every read of a share file is checked against it (open-share-file.ts). */
  shareRoot: ShareRoot | undefined;
  /** The hash cache's version at which it lists exactly `local` (ScanResult.cacheVersion). */
  cacheVersion: number | undefined;
}

async function scanForSync(input: ShareSyncInput, remote: RemoteFiles | null, walk: WalkResult | undefined): Promise<ScannedShare> {
  const peerEntry = (relPath: string) => (remote && Object.hasOwn(remote, relPath) ? remote[relPath] : undefined);
  try {
    const shareRoot = await resolveShareRoot(input.shareRoot);
    const scan = await scanShare(input.shareRoot, {
      shareId: input.shareId,
      hashes: input.hashes,
      signal: input.signal,
      skipHash: (file) => peerEntry(file.relPath)?.size !== file.size,
      peerEntry,
      shareRoot,
      ...(walk ? { walk } : {}),
    });
    const skipped = scan.skipped.map((entry) => ({ relPath: entry.relPath, reason: describeSkipReason(entry.reason, entry.detail) }));
    return { local: scan.files, unread: scan.unread, shareMissing: false, skipped, shareRoot, cacheVersion: scan.cacheVersion };
  } catch (error) {
    if (!(error instanceof ShareMissingError)) throw error;
    return { local: new Map(), unread: [], shareMissing: true, skipped: [], shareRoot: undefined, cacheVersion: undefined };
  }
}

/** A plan a guard holds stops the run before anything is sent, unless an administrator confirmed this very plan. */
function throwIfHeld(plan: SharePlan, confirmedPlan: string | undefined): void {
  const held = plan.held;
  if (!held || held.confirmed) return;
  // a confirmation lifts the very plan it was given for: one more deletion or rewrite since is a new plan
  const what = held.code === 'RANSOMWARE_TRIPWIRE' ? 'The changes' : 'The deletions';
  const changed = confirmedPlan === undefined ? '' : `${what} changed since they were confirmed. `;
  throw new AnemoneError(held.code, { message: changed + held.message, hint: held.hint, details: { heldPlan: held.planId } });
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new AnemoneError('SYNC_TIMEOUT');
}
