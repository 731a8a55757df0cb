import type { FileHashesRepo } from '../db/file-hashes-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { LocalFileState, RemoteFiles } from '../manifest/diff.js';
import { resolveShareRoot, type ShareRoot } from '../scan/open-share-file.js';
import { ShareMissingError, scanShare } from '../scan/scan-share.js';
import { executePlan } from './execute-plan.js';
import type { KnownManifest, SerializedKnownManifest } from './known-manifest.js';
import { describeSkipReason } from './not-backed-up.js';
import { fetchPeerManifest, PeerManifestWriter } from './peer-manifest.js';
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
  /** The files the peer acknowledged, with their plaintext size. */
  sent: { relPath: string; bytes: number }[];
  /** The files deleted on the peer. */
  deleted: readonly string[];
  /** What the scan found in the share (files and plaintext bytes): the overview's size history; undefined when the share folder is missing. */
  shareSize: { files: number; bytes: number } | undefined;
  generation: number;
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
  };

  // the peer's manifest first: files it cannot hold (new, or of another size) need no hashing before they are sent
  input.onProgress({ phase: 'planning' });
  const fetched = await fetchPeerManifest(manifestDeps, input.knownManifest);
  const remote = fetched.known?.manifest.files ?? null;

  input.onProgress({ phase: 'scanning' });
  const scanned = await scanForSync(input, remote);
  checkAborted(input.signal);

  // Force Sync checks what the peer actually stores, not only what its manifest lists
  const storedOnPeer = input.force && remote ? new Map((await session.listFiles(user, share)).map((file) => [file.path, file.size])) : undefined;
  const plan = planShareSync({ ...scanned, shareLabel: `${user}/${share}`, remote, storedOnPeer, confirmedPlan: input.confirmedPlan });
  throwIfHeld(plan, input.confirmedPlan);

  // a run where nothing changed costs the scan and the comparison: no next manifest is built, none is written
  // (Force Sync writes one whole even then, to mend the journal)
  if (plan.changesNothing && fetched.known && !input.force) {
    input.onProgress({ phase: 'finishing', filesTotal: 0, bytesTotal: 0, filesDone: 0, bytesDone: 0 });
    const nothing = { filesUploaded: 0, filesDeleted: 0, bytesTransferred: 0, sent: [], deleted: [] };
    const generation = Math.max(fetched.known.manifest.generation, input.lastGeneration ?? 0);
    return { ...nothing, skipped: scanned.skipped, shareSize: scanned.shareMissing ? undefined : sizeOf(scanned.local), generation };
  }
  const manifests = new PeerManifestWriter(manifestDeps, fetched, plan.startNextManifest());
  const done = await executePlan({
    plan,
    session,
    context: manifestDeps.context,
    shareId: input.shareId,
    shareRoot: scanned.shareRoot,
    userKey: input.userKey,
    manifests,
    hashes: input.hashes,
    signal: input.signal,
    onProgress: input.onProgress,
    resumable: input.resumable,
    testHooks: input.testHooks,
  });
  return { ...done, skipped: [...scanned.skipped, ...done.skipped], shareSize: scanned.shareMissing ? undefined : sizeOf(scanned.local), generation: manifests.generation };
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
}

async function scanForSync(input: ShareSyncInput, remote: RemoteFiles | null): Promise<ScannedShare> {
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
    });
    const skipped = scan.skipped.map((entry) => ({ relPath: entry.relPath, reason: describeSkipReason(entry.reason, entry.detail) }));
    return { local: scan.files, unread: scan.unread, shareMissing: false, skipped, shareRoot };
  } catch (error) {
    if (!(error instanceof ShareMissingError)) throw error;
    return { local: new Map(), unread: [], shareMissing: true, skipped: [], shareRoot: undefined };
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
