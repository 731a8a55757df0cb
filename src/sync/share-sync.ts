import { encryptedLength, type FileContext } from '../crypto/index.js';
import type { FileHashesRepo } from '../db/file-hashes-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { deletionPlanId, massDeletionGuard, planSync } from '../manifest/diff.js';
import { type Manifest, type ManifestFile, manifestTotals } from '../manifest/manifest.js';
import { diffManifestFiles, shouldFold, type ManifestDelta } from '../manifest/manifest-delta.js';
import { openPeerManifest, sealManifest, sealManifestDelta } from '../manifest/sealed-manifest.js';
import { type FsPath, fsRelPathFor } from '../manifest/file-keys.js';
import { storedNameFor } from '../manifest/stored-names.js';
import { limits } from '../protocol/v1/index.js';
import { resolveShareRoot, type ShareRoot } from '../scan/open-share-file.js';
import { ShareMissingError, scanShare } from '../scan/scan-share.js';
import type { SkipReason } from '../scan/walk-share.js';
import { Checkpoints } from './checkpoints.js';
import type { KnownManifest } from './known-manifest.js';
import { EncryptedFileStream, encryptSmallFile, FileChangedError, ShareFileSkippedError } from './encrypt-file.js';
import { describeSkipReason, peerRefusedFile } from './not-backed-up.js';
import { type ResumableUploadDeps, sendResumable } from './resumable-upload.js';
import type { BatchItem, OnSent, PeerSession, SyncProgress, SyncTestHooks } from './types.js';
import { UploadProgress } from './upload-progress.js';

/** A manifest is written at least this often during a long sync, so an interrupted one resumes from there. */
const CHECKPOINT_BYTES = 64 * 1024 * 1024;
const CHECKPOINT_MS = 5_000;
/** Batches in flight at once: one on the wire while the next is encrypted. */
const BATCHES_IN_FLIGHT = 2;
/**
 * A batch is sent once it holds this much, well under the protocol's 16 MiB:
 * with files near 1 MiB, 16 MiB batches (two in flight, each also copied into
 * one request body) took the sender's peak from 193 to 264 MB on the bench's
 * mixed set, for no gain in speed.
 */
const BATCH_BYTES = Math.min(4 * 1024 * 1024, limits.batchMaxBytes);
const DELETE_CHUNK = 10_000;
/** Files of at most one chunk travel in batches, encrypted in memory. */
const SMALL_FILE_MAX_BYTES = limits.batchFileMaxBytes - 28;
/**
 * Small files read and encrypted at once, to hide the file system's latency.
 * Measured with the bench: 8 instead of 4 gave 6 % more files/s with 50,000
 * small files but raised the sender's peak from about 250 to 330 MB (and from
 * about 195 to 210 MB on the mixed set).
 */
const SMALL_FILE_WORKERS = 4;
const LARGE_FILES_IN_FLIGHT = 2;
/** A file modified this recently is not cached by hash: the same rule as the scan's (a write in the same clock tick). */
const RACY_WINDOW_MS = 2000;

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
  onManifestState(known: KnownManifest | undefined): void;
  /** Force Sync: check what the peer actually stores, not only its manifest; fetch it whole and write it whole. */
  force: boolean;
  /** The deletion plan (`deletionPlanId`) an administrator confirmed after the mass-deletion guard held it. */
  confirmedDeletionPlan?: string | undefined;
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
  generation: number;
}

/**
 * One sync of one share to one peer. Invariant: objects first, manifest
 * last, deletions after — a crash leaves orphans on the peer, never a
 * manifest entry without its file.
 */
export async function runShareSync(input: ShareSyncInput): Promise<ShareSyncResult> {
  const { session, username: user, shareName: share } = input;
  const manifestContext = { sourceServer: input.serverName, user, share };

  // the peer's manifest first: files it cannot hold (new, or of another size) need no hashing before they are sent
  input.onProgress({ phase: 'planning' });
  const fetched = await fetchRemoteManifest(input, manifestContext);
  const remote = fetched.known?.manifest ?? null;
  // what the peer holds: each write is a delta from it, or a full manifest
  let peerHolds = fetched.known;
  const remoteSize = (relPath: string) => (remote && Object.hasOwn(remote.files, relPath) ? remote.files[relPath]?.size : undefined);

  input.onProgress({ phase: 'scanning' });
  let shareMissing = false;
  let local: Map<string, { size: number; mtimeMs: number; sha256: string }>;
  // files that exist but could not be read this time: the peer's copies of them are kept
  let unread: string[] = [];
  const skipped: ShareSyncResult['skipped'] = [];
  // resolved once for the run: every read of a share file is checked against it (open-share-file.ts)
  let shareRoot: ShareRoot | undefined;
  try {
    shareRoot = await resolveShareRoot(input.shareRoot);
    const scan = await scanShare(input.shareRoot, {
      shareId: input.shareId,
      hashes: input.hashes,
      signal: input.signal,
      skipHash: (file) => remoteSize(file.relPath) !== file.size,
      shareRoot,
    });
    local = scan.files;
    unread = scan.unread;
    skipped.push(...scan.skipped.map((entry) => ({ relPath: entry.relPath, reason: describeSkipReason(entry.reason, entry.detail) })));
  } catch (error) {
    if (!(error instanceof ShareMissingError)) throw error;
    shareMissing = true;
    local = new Map();
  }
  checkAborted(input.signal);

  const plan = planSync(local, remote?.files ?? null, { unread });
  if (input.force && remote) {
    await requeueFilesMissingOnPeer(input, remote, plan);
  }
  const remoteCount = remote ? Object.keys(remote.files).length : 0;
  const guard = massDeletionGuard(plan, remoteCount, local.size, { shareMissing });
  if (guard) {
    const deletionPlan = deletionPlanId(guard.reason, plan.delete);
    // a confirmation lifts the very plan it was given for: one more deletion since is a new plan
    if (deletionPlan !== input.confirmedDeletionPlan) {
      const changed = input.confirmedDeletionPlan === undefined ? '' : 'The deletions changed since they were confirmed. ';
      throw new AnemoneError('MASS_DELETION_GUARD', { message: changed + guard.message, hint: guard.hint, details: { deletionPlan } });
    }
  }

  // the next manifest starts as what the peer holds, with unchanged files' new mtimes
  const entries: Record<string, ManifestFile> = Object.assign(Object.create(null) as Record<string, ManifestFile>, remote?.files ?? {});
  for (const relPath of plan.unchangedWithNewMtime) {
    const current = local.get(relPath);
    const stored = entries[relPath];
    if (current && stored) entries[relPath] = { ...stored, mtimeMs: current.mtimeMs };
  }
  let generation = Math.max(remote?.generation ?? 0, input.lastGeneration ?? 0);
  const writeManifest = async (files: Record<string, ManifestFile>) => {
    const change = peerHolds ? diffManifestFiles(peerHolds.manifest.files, files) : undefined;
    // nothing changed since what the peer holds: no manifest at all (Force Sync writes one whole, to mend the journal)
    if (change && !input.force && Object.keys(change.files).length === 0 && change.deleted.length === 0) return;
    generation += 1;
    const createdAt = input.now().toISOString();
    // a snapshot: the caller goes on changing `files` (checkpoints), and the next delta is computed from this
    const manifest: Manifest = { version: 1, ...manifestContext, generation, createdAt, files: { ...files } };
    peerHolds = await writeDeltaOrFull(input, manifest, peerHolds, change, fetched.journals);
    input.onManifestState(peerHolds);
    input.onGenerationWritten(generation);
  };

  const uploads = plan.upload;
  input.onProgress({
    phase: 'uploading',
    filesTotal: uploads.length,
    bytesTotal: uploads.reduce((sum, file) => sum + file.size, 0),
    filesDone: 0,
    bytesDone: 0,
  });

  let filesUploaded = 0;
  let bytesTransferred = 0;
  // bytes move while a file or a batch is on the wire: the watchdog sees a slow link that keeps moving
  const progress = new UploadProgress((bytesDone) => input.onProgress({ bytesDone }));
  // no copy of the entries here: writeManifest snapshots them before its first await
  const checkpoints = new Checkpoints(() => writeManifest(entries), { intervalMs: CHECKPOINT_MS, maxBytes: CHECKPOINT_BYTES, signal: input.signal });
  // what the upload hashed goes to the hash cache, so the next scan need not read these files
  const hashedWhileSending: { relPath: string; size: number; mtimeMs: number; sha256: string }[] = [];
  const recordArrived = (relPath: string, entry: ManifestFile, ciphertextBytes: number) => {
    entries[relPath] = entry;
    if (entry.mtimeMs <= Date.now() - RACY_WINDOW_MS) hashedWhileSending.push({ relPath, size: entry.size, mtimeMs: entry.mtimeMs, sha256: entry.sha256 });
    filesUploaded += 1;
    bytesTransferred += ciphertextBytes;
    progress.acknowledge(entry.size);
    input.onProgress({ filesDone: filesUploaded, bytesDone: progress.bytesDone });
    checkpoints.arrived(ciphertextBytes);
  };
  // a file's own problem (here or on the peer) leaves that file out; anything else fails the run
  const skipLocalProblem = (relPath: string, error: unknown) => {
    const reason = localFileProblem(error) ?? peerRefusedFile(error);
    if (!reason) throw error;
    skipped.push({ relPath, reason });
  };
  const placeOf = (relPath: string) => {
    // a missing share plans no upload, so the root was resolved whenever a file is read
    if (!shareRoot) throw new Error(`${relPath} would be read from a share that was not scanned`);
    return {
      context: { ...manifestContext, relPath } satisfies FileContext,
      root: shareRoot,
      // the exact bytes of the name, whatever they are (file-keys.ts)
      fsRelPath: fsRelPathFor(relPath),
      storedPath: storedNameFor(relPath),
    };
  };

  // small files first, read and encrypted several at a time and sent in batches; then the large ones, streamed
  const batches = new BatchSender(session, user, share, progress, (relPath, reason) => skipped.push({ relPath, reason }));
  // a failed upload ends the timer too, so no checkpoint follows the run
  const stopCheckpointsAndThrow = async (error: unknown): Promise<never> => {
    await checkpoints.stop().catch(() => undefined);
    throw error;
  };
  const smallFiles = uploads.filter((file) => file.size <= SMALL_FILE_MAX_BYTES);
  // each worker reads into its own buffer, reused file after file
  const readBufferBytes = smallFiles.reduce((max, file) => Math.max(max, file.size), 0) + 1;
  await forEachConcurrently(smallFiles, SMALL_FILE_WORKERS, async (file, buffer) => {
    checkAborted(input.signal);
    const { context, root, fsRelPath, storedPath } = placeOf(file.relPath);
    await input.testHooks?.beforeFileRead?.({ username: user, shareName: share, relPath: file.relPath });
    try {
      const encrypted = await encryptSmallFile(root, fsRelPath, input.userKey, context, file.size, buffer);
      const entry = { size: encrypted.size, mtimeMs: file.mtimeMs, sha256: encrypted.sha256, ctSha256: encrypted.ctSha256 };
      await batches.add({ path: storedPath, ctSha256: encrypted.ctSha256, body: encrypted.body }, file.relPath, encrypted.size, () =>
        recordArrived(file.relPath, entry, encrypted.body.length),
      );
    } catch (error) {
      skipLocalProblem(file.relPath, error);
    }
  }, readBufferBytes).catch(stopCheckpointsAndThrow);
  await batches.drain().catch(stopCheckpointsAndThrow);

  // two at a time: while the peer flushes one file to its disk, the next one is already streaming
  await forEachConcurrently(
    uploads.filter((upload) => upload.size > SMALL_FILE_MAX_BYTES),
    LARGE_FILES_IN_FLIGHT,
    async (file) => {
      checkAborted(input.signal);
      const { context, root, fsRelPath, storedPath } = placeOf(file.relPath);
      await input.testHooks?.beforeFileRead?.({ username: user, shareName: share, relPath: file.relPath });
      const upload = progress.track(file.size);
      try {
        // resumable when the peer offers it: a dropped link continues from what the peer holds
        const resumed = input.resumable
          ? await sendResumable(input.resumable, session, { user, share, storedPath, root, fsRelPath, relPath: file.relPath, size: file.size }, input.userKey, context, upload.onSent, input.signal)
          : undefined;
        const sent = resumed ?? (await sendLargeFile(session, user, share, storedPath, root, fsRelPath, file.size, input.userKey, context, upload.onSent));
        upload.end();
        recordArrived(file.relPath, { size: file.size, mtimeMs: file.mtimeMs, sha256: sent.sha256, ctSha256: sent.ctSha256 }, sent.ciphertextBytes);
      } catch (error) {
        upload.end();
        skipLocalProblem(file.relPath, error);
      }
    },
  ).catch(stopCheckpointsAndThrow);
  // no checkpoint beside the final manifest: generations reach the peer in order
  await checkpoints.stop();

  input.onProgress({ phase: 'finishing' });
  if (hashedWhileSending.length > 0) input.hashes.apply(input.shareId, { upsert: hashedWhileSending, remove: [] });
  for (const relPath of plan.delete) delete entries[relPath];
  await writeManifest(entries);
  const storedToDelete = plan.delete.map(storedNameFor);
  for (let start = 0; start < storedToDelete.length; start += DELETE_CHUNK) {
    await session.deleteFiles(user, share, storedToDelete.slice(start, start + DELETE_CHUNK));
  }
  return { filesUploaded, filesDeleted: plan.delete.length, bytesTransferred, skipped, generation };
}

/**
 * What the peer holds of the share's manifest. With a copy of the state the
 * peer last held, the peer is asked only whether it is still at that
 * generation (no body when it is); Force Sync, a first sync or another
 * generation fetch it whole, with its journal. `journals`: whether deltas
 * may be sent to this peer.
 */
async function fetchRemoteManifest(input: ShareSyncInput, context: { sourceServer: string; user: string; share: string }): Promise<{ known: KnownManifest | undefined; journals: boolean }> {
  // a copy older than what this server last wrote is stale (a crash between the write and the copy): ask for all
  const usable = input.knownManifest && (input.lastGeneration === undefined || input.knownManifest.manifest.generation >= input.lastGeneration);
  const known = input.force || !usable ? undefined : input.knownManifest;
  const fetched = await input.session.fetchManifest(context.user, context.share, known?.manifest.generation);
  if (fetched.kind === 'unchanged') {
    if (!known) throw new AnemoneError('PEER_PROTOCOL_ERROR', { message: 'The peer answered "unchanged" to a manifest request that named no generation' });
    return { known, journals: known.journals };
  }
  if (fetched.kind === 'missing') {
    // a peer that lost the share (its administrator deleted it) gets everything again
    input.onManifestState(undefined);
    return { known: undefined, journals: fetched.journals };
  }
  let manifest: Manifest;
  try {
    manifest = openPeerManifest(input.userKey, context, fetched, input.lastGeneration);
  } catch (error) {
    // Force Sync mends a broken journal: it sends the share again and writes a full manifest
    if (!(input.force && error instanceof AnemoneError && error.code === 'MANIFEST_CHAIN_BROKEN')) throw error;
    return { known: undefined, journals: fetched.journals };
  }
  const journal = { count: fetched.deltas.length, bytes: fetched.deltas.reduce((sum, delta) => sum + delta.bytes.length, 0) };
  const state: KnownManifest = { manifest, baseBytes: fetched.base.length, journal, journals: fetched.journals };
  input.onManifestState(state);
  return { known: state, journals: fetched.journals };
}

/**
 * Writes `manifest` to the peer: as a delta from what it holds when the
 * peer keeps journals and the journal is still small (manifest-delta.ts,
 * `shouldFold`), else whole — which replaces the journal on the peer.
 */
async function writeDeltaOrFull(
  input: ShareSyncInput,
  manifest: Manifest,
  peerHolds: KnownManifest | undefined,
  change: Pick<ManifestDelta, 'files' | 'deleted'> | undefined,
  journals: boolean,
): Promise<KnownManifest> {
  const { session, username: user, shareName: share } = input;
  if (peerHolds && change && journals && !input.force) {
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
    const sealed = sealManifestDelta(input.userKey, delta);
    if (!shouldFold(peerHolds.journal, peerHolds.baseBytes, sealed.bytes.length)) {
      await session.putManifestDelta(user, share, manifest.generation, sealed.bytes, sealed.ctSha256, manifestTotals(manifest));
      const journal = { count: peerHolds.journal.count + 1, bytes: peerHolds.journal.bytes + sealed.bytes.length };
      return { manifest, baseBytes: peerHolds.baseBytes, journal, journals };
    }
  }
  const sealed = sealManifest(input.userKey, manifest);
  await session.putManifest(user, share, sealed.bytes, sealed.ctSha256, manifest.generation, manifestTotals(manifest));
  return { manifest, baseBytes: sealed.bytes.length, journal: { count: 0, bytes: 0 }, journals };
}

/** Force Sync: a file the manifest lists but the peer no longer stores (or stores at the wrong size) is sent again. */
async function requeueFilesMissingOnPeer(input: ShareSyncInput, remote: Manifest, plan: ReturnType<typeof planSync>): Promise<void> {
  const stored = new Map((await input.session.listFiles(input.username, input.shareName)).map((file) => [file.path, file.size]));
  const stillUnchanged: string[] = [];
  for (const relPath of plan.unchanged) {
    const entry = remote.files[relPath];
    if (entry && stored.get(storedNameFor(relPath)) === encryptedLength(entry.size)) {
      stillUnchanged.push(relPath);
    } else if (entry) {
      plan.upload.push({ relPath, size: entry.size, mtimeMs: entry.mtimeMs, sha256: entry.sha256, reason: 'changed' });
    }
  }
  plan.unchanged = stillUnchanged;
}

async function sendLargeFile(
  session: PeerSession,
  user: string,
  share: string,
  storedPath: string,
  root: ShareRoot,
  relPath: FsPath,
  size: number,
  userKey: Buffer,
  context: FileContext,
  onSent: OnSent,
): Promise<{ sha256: string; ctSha256: string; ciphertextBytes: number }> {
  const stream = new EncryptedFileStream(root, relPath, userKey, context, size);
  const ciphertextBytes = encryptedLength(size);
  let answer: { ctSha256: string };
  try {
    // the peer keeps the file only if the SHA-256 trailer the upload appends matches what arrived
    answer = await session.putFile(user, share, storedPath, stream, ciphertextBytes, onSent);
  } catch (error) {
    // the file's own problem (gone, unreadable, changed) skips it; the upload's fails the run
    throw stream.readError ?? error;
  }
  if (stream.bytes !== size) throw new FileChangedError(relPath);
  const ctSha256 = answer.ctSha256;
  return { sha256: stream.digestHex(), ctSha256, ciphertextBytes };
}

interface QueuedFile {
  relPath: string;
  arrived: () => void;
}

/**
 * Collects small files into batches and keeps a bounded number of them in
 * flight; a file counts as arrived only when its batch was acknowledged. The
 * peer refuses a batch whole for one file it will not take (its path, its
 * size): that batch is then sent again one file at a time, so only the
 * refused file is left out (`onRefused`) and the rest of the share syncs.
 */
class BatchSender {
  private items: BatchItem[] = [];
  private queued: QueuedFile[] = [];
  private bytes = 0;
  private plainBytes = 0;
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly session: PeerSession,
    private readonly user: string,
    private readonly share: string,
    private readonly progress: UploadProgress,
    private readonly onRefused: (relPath: string, reason: string) => void,
  ) {}

  /** Queues an item of `plainBytes` plaintext; resolves true when this call flushed a batch (files arrived since the last call). */
  async add(item: BatchItem, relPath: string, plainBytes: number, arrived: () => void): Promise<boolean> {
    this.items.push(item);
    this.queued.push({ relPath, arrived });
    this.bytes += item.body.length;
    this.plainBytes += plainBytes;
    if (this.bytes < BATCH_BYTES && this.items.length < limits.batchMaxFiles) return false;
    await this.flush();
    return true;
  }

  async drain(): Promise<void> {
    if (this.items.length > 0) await this.flush();
    while (this.inFlight.length > 0) await this.inFlight.shift();
  }

  private async flush(): Promise<void> {
    const items = this.items;
    const queued = this.queued;
    const upload = this.progress.track(this.plainBytes);
    this.items = [];
    this.queued = [];
    this.bytes = 0;
    this.plainBytes = 0;
    const sent = this.session.putBatch(this.user, this.share, items, upload.onSent).then(
      () => {
        upload.end();
        for (const file of queued) file.arrived();
      },
      (error: unknown) => {
        upload.end();
        const reason = peerRefusedFile(error);
        if (reason === undefined) throw error;
        if (items.length > 1) return this.sendOneByOne(items, queued);
        this.onRefused((queued[0] as QueuedFile).relPath, reason);
        return undefined;
      },
    );
    // handled here so a failure waiting its turn is not an unhandled rejection; awaiting it still throws
    sent.catch(() => undefined);
    this.inFlight.push(sent);
    if (this.inFlight.length >= BATCHES_IN_FLIGHT) await this.inFlight.shift();
  }

  private async sendOneByOne(items: BatchItem[], queued: QueuedFile[]): Promise<void> {
    for (const [index, item] of items.entries()) {
      const file = queued[index] as QueuedFile;
      try {
        await this.session.putBatch(this.user, this.share, [item]);
        file.arrived();
      } catch (error) {
        const reason = peerRefusedFile(error);
        if (reason === undefined) throw error;
        this.onRefused(file.relPath, reason);
      }
    }
  }
}

/** Why a share file the upload opened was not sent, for the run's list of skipped files. */
const SKIPPED_AT_READ: Partial<Record<SkipReason, string>> = {
  symlink: 'became a symbolic link during the sync; links are never followed, nothing was sent',
  'outside-share': 'a folder on its path became a link leading outside the share; nothing was read or sent',
  'not-a-regular-file': 'not a regular file any more (a FIFO, socket or device); nothing was read or sent',
  vanished: 'deleted during the sync',
  'changed-during-scan': 'changed while it was being read; it will be sent next sync',
};

function localFileProblem(error: unknown): string | undefined {
  if (error instanceof FileChangedError) return 'changed while it was being read; it will be sent next sync';
  if (error instanceof ShareFileSkippedError) {
    if (error.detail === 'EACCES' || error.detail === 'EPERM') return 'cannot be read (permission denied)';
    return SKIPPED_AT_READ[error.reason] ?? `cannot be read (${error.detail ?? error.reason})`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'deleted during the sync';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  if (code === 'EISDIR') return 'became a folder during the sync';
  return undefined;
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new AnemoneError('SYNC_TIMEOUT');
}

/**
 * Runs `work` on every item, at most `workers` at a time, in the list's
 * order; the first failure stops the rest. With `bufferBytes`, each worker
 * passes its own buffer of that size to every item it works on.
 */
async function forEachConcurrently<T>(items: readonly T[], workers: number, work: (item: T, buffer: Buffer) => Promise<void>, bufferBytes = 0): Promise<void> {
  let next = 0;
  const worker = async () => {
    const buffer = Buffer.allocUnsafe(bufferBytes);
    while (next < items.length) await work(items[next++] as T, buffer);
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
}
