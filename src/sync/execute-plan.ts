/**
 * Carries out a share's plan (plan-share.ts) against a peer. Invariant:
 * objects first, manifest last, deletions after — a crash leaves orphans on
 * the peer, never a manifest entry without its file. Checkpoints on the way
 * list only files the peer acknowledged, so an interrupted run resumes from
 * them.
 */
import { addAbortSignal } from 'node:stream';
import { encryptedLength, type FileContext, type ManifestContext } from '../crypto/index.js';
import type { FileHashesRepo } from '../db/file-hashes-repo.js';
import { RUN_ENTRIES_LISTED } from '../db/sync-history-repo.js';
import { type FsPath, fsRelPathFor } from '../manifest/file-keys.js';
import type { ManifestFile } from '../manifest/manifest.js';
import { storedNameFor } from '../manifest/stored-names.js';
import type { ShareRoot } from '../scan/open-share-file.js';
import type { SkipReason } from '../scan/walk-share.js';
import { UNHASHED } from '../scan/scan-share.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { BatchSender } from './batch-sender.js';
import { Checkpoints } from './checkpoints.js';
import { EncryptedFileStream, FileChangedError, ShareFileSkippedError } from './encrypt-file.js';
import { peerRefusedFile } from './not-backed-up.js';
import type { SharePlan } from './plan-share.js';
import { type ResumableUploadDeps, sendResumable } from './resumable-upload.js';
import { sendSmallFiles } from './small-files/send-small-files.js';
import type { OnSent, PeerSession, SyncProgress, SyncTestHooks } from './types.js';
import { UploadProgress } from './upload-progress.js';

/** A manifest is written at least this often during a long sync, so an interrupted one resumes from there. */
const CHECKPOINTS = { intervalMs: 5_000, maxBytes: 64 * 1024 * 1024 };
const DELETE_CHUNK = 10_000;
const LARGE_FILES_IN_FLIGHT = 2;
/** A file modified this recently is not cached by hash: the same rule as the scan's (a write in the same clock tick). */
const RACY_WINDOW_MS = 2000;

export interface ExecutePlanInput {
  /**
   * The uploads and deletions only: the rest of the plan (the scan's Map, the diff) need not live while they are
   * carried out. The list of small uploads is taken out of it (emptied) when they are sent, so the files sent are not
   * held to the end of the run.
   */
  plan: Pick<SharePlan, 'uploads' | 'deletions'>;
  session: PeerSession;
  context: ManifestContext;
  shareId: number;
  /** The share folder as the scan resolved it; undefined when it is missing (the plan then sends nothing). */
  shareRoot: ShareRoot | undefined;
  userKey: Buffer;
  /** The run's next manifest and its writes (peer-manifest.ts). */
  manifests: {
    /** The peer acknowledged this file: the next manifest lists it. */
    record(relPath: string, entry: ManifestFile): void;
    /** Writes the manifest as it stands: a checkpoint, or with `final` the run's last one, without the deletions. */
    write(final?: { deletions: readonly string[] }): Promise<void>;
  };
  /** Where what the upload hashed goes (its answer, the cache's version, is of no use here). */
  hashes: { apply(shareId: number, changes: Parameters<FileHashesRepo['apply']>[1]): unknown };
  signal: AbortSignal;
  onProgress(update: Partial<SyncProgress>): void;
  /** Large files as resumable uploads (what to resume, how to retry); without it they are sent whole. */
  resumable?: ResumableUploadDeps | undefined;
  /** How often checkpoints are written; tests shorten it. */
  checkpoints?: { intervalMs: number; maxBytes: number };
  /** How many of the acknowledged files `sent` lists: the run's history keeps no more (RUN_ENTRIES_LISTED, the default). */
  sentListed?: number;
  /** Test only (see SyncTestHooks); absent in production. */
  testHooks?: SyncTestHooks | undefined;
}

export interface ExecutePlanResult {
  filesUploaded: number;
  filesDeleted: number;
  bytesTransferred: number;
  /** Files left out while sending (changed, vanished, refused by the peer…), each with why. */
  skipped: { relPath: string; reason: string }[];
  /**
   * The first files the peer acknowledged (`sentListed` of them at most), with their plaintext size: the run's
   * history (sync_run_entries) lists these and no more, so a first sync of 200,000 files does not hold the rest.
   */
  sent: { relPath: string; bytes: number }[];
  /** The files deleted on the peer. */
  deleted: readonly string[];
}

export async function executePlan(input: ExecutePlanInput): Promise<ExecutePlanResult> {
  const { plan, session, context } = input;
  const { user, share } = context;
  input.onProgress({ phase: 'uploading', filesTotal: plan.uploads.files, bytesTotal: plan.uploads.bytes, filesDone: 0, bytesDone: 0 });

  // what the peer acknowledged: checkpoints and the final manifest list these, and only these, of the uploads
  const sent: ExecutePlanResult['sent'] = [];
  const sentListed = input.sentListed ?? RUN_ENTRIES_LISTED;
  let filesUploaded = 0;
  const skipped: ExecutePlanResult['skipped'] = [];
  let bytesTransferred = 0;
  // bytes move while a file or a batch is on the wire: the watchdog sees a slow link that keeps moving
  const progress = new UploadProgress((bytesDone) => input.onProgress({ bytesDone }));
  // what the upload hashed goes to the hash cache, so the next scan need not read these files; at each
  // checkpoint rather than all at the end, so a share of 200,000 files does not hold them all (a cache: any time is right)
  let hashedWhileSending: { relPath: string; size: number; mtimeMs: number; sha256: string }[] = [];
  const saveHashes = () => {
    if (hashedWhileSending.length === 0) return;
    const upsert = hashedWhileSending;
    hashedWhileSending = [];
    input.hashes.apply(input.shareId, { upsert, remove: [] });
  };
  const checkpoints = new Checkpoints(
    async () => {
      saveHashes();
      await input.manifests.write();
    },
    { ...(input.checkpoints ?? CHECKPOINTS), signal: input.signal },
  );
  // a batch's acknowledgement records up to a thousand files in one turn: they are reported once, after that turn
  // (each report resets the watchdog, meters and rates the run), not once per file
  let reportQueued = false;
  const reportArrived = () => {
    reportQueued = false;
    input.onProgress({ filesDone: filesUploaded, bytesDone: progress.bytesDone });
  };
  const recordArrived = (relPath: string, entry: ManifestFile, ciphertextBytes: number) => {
    input.manifests.record(relPath, entry);
    filesUploaded += 1;
    if (sent.length < sentListed) sent.push({ relPath, bytes: entry.size });
    if (entry.mtimeMs <= Date.now() - RACY_WINDOW_MS) hashedWhileSending.push({ relPath, size: entry.size, mtimeMs: entry.mtimeMs, sha256: entry.sha256 });
    bytesTransferred += ciphertextBytes;
    progress.acknowledge(entry.size);
    if (!reportQueued) {
      reportQueued = true;
      queueMicrotask(reportArrived);
    }
    checkpoints.arrived(ciphertextBytes);
  };
  // a file's own problem (here or on the peer) leaves that file out; anything else fails the run
  const skipLocalProblem = (relPath: string, error: unknown) => {
    const reason = localFileProblem(error) ?? peerRefusedFile(error);
    if (!reason) throw error;
    skipped.push({ relPath, reason });
  };
  const rootToRead = (relPath: string): ShareRoot => {
    // a missing share plans no upload, so the root was resolved whenever a file is read
    if (!input.shareRoot) throw new Error(`${relPath} would be read from a share that was not scanned`);
    return input.shareRoot;
  };
  const placeOf = (relPath: string) => {
    return {
      context: { ...context, relPath } satisfies FileContext,
      root: rootToRead(relPath),
      // the exact bytes of the name, whatever they are (file-keys.ts)
      fsRelPath: fsRelPathFor(relPath),
      storedPath: storedNameFor(relPath),
    };
  };
  const beforeFileRead = (relPath: string) => input.testHooks?.beforeFileRead?.({ username: user, shareName: share, relPath });

  // small files first, read and sealed on a thread of their own and sent in batches; then the large ones, streamed
  // while the last batches await their acknowledgement (the peer answers once it fsynced every file of a batch:
  // 1.5–2 s of a quiet link on a loaded disk if the large files waited for it)
  const batches = new BatchSender(session, user, share, progress, (relPath, reason) => skipped.push({ relPath, reason }));
  // a failed upload ends the timer too, so no checkpoint follows the run; only once no batch is in flight, so
  // nothing of the run still runs (or records an arrival) after it threw
  const stopAndThrow = async (error: unknown): Promise<never> => {
    await batches.settle();
    await checkpoints.stop().catch(() => undefined);
    throw error;
  };
  const [firstSmall] = plan.uploads.small;
  if (firstSmall) {
    await sendSmallFiles({
      // taken out of the plan: what was sent is garbage once its batch is acknowledged (issue 15: 200,000 files)
      files: plan.uploads.small.splice(0),
      root: rootToRead(firstSmall.relPath),
      context,
      userKey: input.userKey,
      batches,
      signal: input.signal,
      arrived: (file, sealed) =>
        recordArrived(file.relPath, { size: sealed.size, mtimeMs: file.mtimeMs, sha256: sealed.sha256, ctSha256: sealed.ctSha256 }, sealed.bodyBytes),
      notSent: skipLocalProblem,
      beforeFileRead: input.testHooks?.beforeFileRead ? beforeFileRead : undefined,
      sealEntry: input.testHooks?.sealWorkerEntry,
    }).catch(stopAndThrow);
  }

  // a failed batch stops the large files as a failed one would: no further one starts, those in flight are aborted
  // (their bodies destroyed) rather than streamed to their end
  const batchFailed = new AbortController();
  const drained = batches.drain().catch((error: unknown) => {
    batchFailed.abort(error);
    throw error;
  });
  // two at a time: while the peer flushes one file to its disk, the next one is already streaming
  const largeSent = runWorkerPool(
    plan.uploads.large,
    async (file, { signal }) => {
      const { context: fileContext, root, fsRelPath, storedPath } = placeOf(file.relPath);
      await beforeFileRead(file.relPath);
      const upload = progress.track(file.size);
      // a file the scan hashed (same size, other date) was just read: its pages are likely in the cache still
      const readPastCache = file.sha256 === UNHASHED;
      try {
        // resumable when the peer offers it: a dropped link continues from what the peer holds
        const resumed = input.resumable
          ? await sendResumable(input.resumable, session, { user, share, storedPath, root, fsRelPath, relPath: file.relPath, size: file.size, readPastCache }, input.userKey, fileContext, upload.onSent, signal)
          : undefined;
        const sent = resumed ?? (await sendLargeFile(session, storedPath, root, fsRelPath, file.size, input.userKey, fileContext, upload.onSent, readPastCache, signal));
        upload.end();
        recordArrived(file.relPath, { size: file.size, mtimeMs: file.mtimeMs, sha256: sent.sha256, ctSha256: sent.ctSha256 }, sent.ciphertextBytes);
      } catch (error) {
        upload.end();
        skipLocalProblem(file.relPath, error);
      }
    },
    { concurrency: LARGE_FILES_IN_FLIGHT, signal: AbortSignal.any([input.signal, batchFailed.signal]) },
  );
  // both settled (no batch, no large file in flight) before the run goes on or throws the first failure
  await firstFailureOf([drained, largeSent]).catch(stopAndThrow);
  // no checkpoint beside the final manifest: generations reach the peer in order
  await checkpoints.stop();

  input.onProgress({ phase: 'finishing' });
  saveHashes();
  await input.manifests.write({ deletions: plan.deletions });
  // deletions only once the manifest no longer lists them
  const storedToDelete = plan.deletions.map(storedNameFor);
  for (let start = 0; start < storedToDelete.length; start += DELETE_CHUNK) {
    await session.deleteFiles(user, share, storedToDelete.slice(start, start + DELETE_CHUNK));
  }
  return { filesUploaded, filesDeleted: plan.deletions.length, bytesTransferred, skipped, sent, deleted: plan.deletions };
}

/** Waits for every task to settle, then throws the failure that came first, if any. */
async function firstFailureOf(tasks: Promise<void>[]): Promise<void> {
  let failure: { error: unknown } | undefined;
  await Promise.all(
    tasks.map((task) =>
      task.catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  if (failure) throw failure.error;
}

async function sendLargeFile(
  session: PeerSession,
  storedPath: string,
  root: ShareRoot,
  relPath: FsPath,
  size: number,
  userKey: Buffer,
  context: FileContext,
  onSent: OnSent,
  readPastCache: boolean,
  signal: AbortSignal,
): Promise<{ sha256: string; ctSha256: string; ciphertextBytes: number }> {
  const stream = new EncryptedFileStream(root, relPath, userKey, context, size, undefined, readPastCache);
  // the session's requests end only with the run's signal: a failed batch or sibling ends this upload through its body
  addAbortSignal(signal, stream);
  const ciphertextBytes = encryptedLength(size);
  let answer: { ctSha256: string };
  try {
    // the peer keeps the file only if the SHA-256 trailer the upload appends matches what arrived
    answer = await session.putFile(context.user, context.share, storedPath, stream, ciphertextBytes, onSent);
  } catch (error) {
    // the request may have failed before it read the stream to its end: its file is closed here
    stream.destroy();
    // the file's own problem (gone, unreadable, changed) skips it; the upload's fails the run
    throw stream.readError ?? error;
  }
  if (stream.bytes !== size) throw new FileChangedError(relPath);
  return { sha256: stream.digestHex(), ctSha256: answer.ctSha256, ciphertextBytes };
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
