import { setTimeout as delay } from 'node:timers/promises';
import { unwrapUserKey } from '../accounts/user-keys.js';
import type { MasterKeyStore } from '../accounts/master-key.js';
import type { Repositories, ShareRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { displayPath } from '../manifest/file-keys.js';
import type { Logger } from '../logging/logger.js';
import { HELD_PLAN_CODES, HeldPlansStore } from './held-plans.js';
import { loadKnownManifest, saveKnownManifest } from './known-manifest.js';
import { DEFAULT_UPLOAD_RETRY, type RetryPolicy, type UploadRetry, resumeRecordsFor } from './resumable-upload.js';
import { recordRunHistory } from './run-history.js';
import { runShareSync } from './share-sync.js';
import { isRetryable, type RetryOptions, SyncRetries } from './sync-retries.js';
import { TransferRate } from './transfer-rate.js';
import type { PeerConnector, RunningSync, SyncMeter, SyncPeer, SyncProgress, SyncRunOutcome, SyncTestHooks } from './types.js';

export interface SyncRequestOptions {
  force?: boolean;
  /** The held plan an administrator confirmed (see HeldPlansStore). */
  confirmedPlan?: string;
  /** A run of the schedule: a transient failure of it is retried (see sync-retries.ts). */
  scheduled?: boolean;
}

export interface StartedSync {
  logId: number;
  shareId: number;
  peerId: number;
  peerName: string;
  /** Settles when the run ends; it never rejects (failures are in the log). */
  done: Promise<void>;
}

export interface RefusedSync {
  shareId: number;
  peerId: number;
  peerName: string;
  code: string;
  message: string;
}

/**
 * Starts and tracks sync runs: at most one per share and peer, each with its
 * log row, its progress, and a watchdog that ends a run silent for longer
 * than the peer's timeout.
 */
export class SyncService {
  private readonly held: HeldPlansStore;
  private readonly retries: SyncRetries;
  private readonly running = new Map<string, { progress: SyncProgress; controller: AbortController; rate: TransferRate; done: Promise<void> }>();

  constructor(
    private readonly deps: {
      repos: Pick<Repositories, 'users' | 'shares' | 'syncLogs' | 'syncState' | 'peerManifests' | 'fileHashes' | 'settings' | 'resumableUploads' | 'syncHistory' | 'shareStats'>;
      masterKeys: MasterKeyStore;
      peers: PeerConnector;
      serverName: () => string;
      sharePath: (username: string, shareName: string) => string;
      /** Throws an AnemoneError when the share must not sync now (a restore is writing into it). */
      holdOff?: (username: string, shareName: string) => void;
      logger: Logger;
      now?: () => Date;
      /** Test only (see SyncTestHooks); production passes none. */
      testHooks?: SyncTestHooks;
      /** How a dropped large upload is tried again inside a run; DEFAULT_UPLOAD_RETRY unless set (tests make it short). */
      uploadRetry?: Partial<RetryPolicy> | undefined;
      /** The retries' waits and timers; tests make them milliseconds. */
      retries?: RetryOptions;
      /** Counts what runs send and how they end, for GET /metrics. */
      meter?: SyncMeter;
      /** Told how each run ended, once its row is written (notifications); it must return at once. */
      onRunFinished?: (outcome: SyncRunOutcome) => void;
    },
  ) {
    this.held = new HeldPlansStore(deps.repos);
    this.retries = new SyncRetries(deps.retries);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Zombie cleanup at start: runs a dead process left `running` end as `interrupted`. */
  cleanUpInterruptedRuns(): number {
    const count = this.deps.repos.syncLogs.interruptRunning(this.now().toISOString());
    if (count > 0) this.deps.logger.warn({ count }, 'sync runs interrupted by the last stop marked as interrupted');
    return count;
  }

  /** Sync now: one share to every enabled peer. */
  syncShare(shareId: number, options: SyncRequestOptions = {}): { started: StartedSync[]; refused: RefusedSync[] } {
    const share = this.deps.repos.shares.findById(shareId);
    if (!share) throw new AnemoneError('NOT_FOUND', { message: 'No such share' });
    if (!share.syncEnabled) throw new AnemoneError('SHARE_NOT_SYNCED');
    const peers = this.deps.peers.enabledPeers();
    if (peers.length === 0) throw new AnemoneError('NO_ENABLED_PEERS');
    const { ready, unconfirmed } = splitByConfirmation(peers);
    const result = this.startAll([share], ready, options);
    // said in the answer, not logged as a failed run: the dashboard names such peers until they are confirmed
    for (const peer of unconfirmed) {
      const refusal = new AnemoneError('PEER_NOT_PINNED', { message: `The certificate fingerprint of ${peer.name} has not been confirmed yet` });
      result.refused.push({ shareId: share.id, peerId: peer.id, peerName: peer.name, code: refusal.code, message: refusal.message });
    }
    return result;
  }

  /** One share to one peer (an administrator confirming deletions, say). */
  syncShareToPeer(shareId: number, peerId: number, options: SyncRequestOptions = {}): StartedSync {
    const share = this.deps.repos.shares.findById(shareId);
    if (!share) throw new AnemoneError('NOT_FOUND', { message: 'No such share' });
    const peer = this.deps.peers.findPeer(peerId);
    if (!peer) throw new AnemoneError('NOT_FOUND', { message: 'No such peer' });
    const started = this.start(share, peer, options);
    if ('code' in started) throw new AnemoneError('SYNC_ALREADY_RUNNING', { message: started.message });
    return started;
  }

  /**
   * "Confirm" on a run a guard held (the mass-deletion guard, the ransomware
   * tripwire): runs that share to that peer again with exactly the held plan
   * allowed, once.
   */
  confirmHeldPlan(logId: number): StartedSync {
    const held = this.held.confirmable(logId, this.now());
    const started = this.syncShareToPeer(held.shareId, held.peerId, { confirmedPlan: held.plan });
    this.held.consume(held.shareId, held.peerId);
    return started;
  }

  /**
   * Every sync-enabled share of every user to every enabled peer (Force Sync
   * and the scheduler). Users who have not activated their account (no key
   * yet) and peers whose certificate is not confirmed are left out without a
   * failed run each time: the dashboard says so once, until it changes.
   */
  syncEverything(options: SyncRequestOptions = {}): { started: StartedSync[]; refused: RefusedSync[] } {
    if (this.deps.peers.enabledPeers().length === 0) throw new AnemoneError('NO_ENABLED_PEERS');
    const { shares, peers } = this.scheduledPairs();
    return this.startAll(shares, peers, options);
  }

  /** What syncEverything syncs: sync-enabled shares of activated users, to enabled peers whose certificate is confirmed. */
  scheduledPairs(): { shares: ShareRow[]; peers: SyncPeer[] } {
    const withKey = new Set(
      this.deps.repos.users
        .list()
        .filter((user) => user.wrappedKey !== null)
        .map((user) => user.id),
    );
    const shares = this.deps.repos.shares.listSyncEnabled().filter((share) => withKey.has(share.userId));
    return { shares, peers: splitByConfirmation(this.deps.peers.enabledPeers()).ready };
  }

  /** The runs in progress, with the upload's rate over the last seconds and the time left at that rate. */
  runningSyncs(): RunningSync[] {
    const now = performance.now();
    return [...this.running.values()].map(({ progress, rate }) => {
      const uploading = progress.phase === 'uploading';
      return {
        ...progress,
        bytesPerSecond: uploading ? rate.bytesPerSecond(now) : null,
        etaSeconds: uploading ? rate.secondsLeft(progress.bytesTotal, now) : null,
      };
    });
  }

  isRunning(shareId: number, peerId: number): boolean {
    return this.running.has(runKey(shareId, peerId));
  }

  /**
   * Ends every running sync (server shutdown) and waits, a bounded time, for
   * their rows to end as `interrupted`, so the database is not closed under them.
   */
  async stopAll(): Promise<void> {
    this.retries.cancelAll();
    const runs = [...this.running.values()];
    for (const run of runs) run.controller.abort(new AnemoneError('SYNC_INTERRUPTED'));
    await Promise.race([Promise.allSettled(runs.map((run) => run.done)), delay(STOP_WAIT_MS, undefined, { ref: false })]);
  }

  /**
   * Cancel: stops a running sync the way a shutdown does (objects the peer
   * acknowledged stay; no manifest names anything it has not acknowledged), and
   * its row ends as `interrupted` with the code SYNC_CANCELLED, so the next run
   * resumes from what arrived. `only` narrows whose runs may be cancelled (a
   * user's own share). Resolves once the row is written, or after a bounded wait.
   */
  async cancel(logId: number, by: string, only: (run: SyncProgress) => boolean = () => true): Promise<void> {
    const run = [...this.running.values()].find((candidate) => candidate.progress.logId === logId && only(candidate.progress));
    if (!run) throw new AnemoneError('SYNC_NOT_RUNNING');
    this.retries.cancel(run.progress.shareId, run.progress.peerId);
    run.controller.abort(new AnemoneError('SYNC_CANCELLED', { message: `The sync was cancelled by ${by}` }));
    await Promise.race([run.done, delay(STOP_WAIT_MS, undefined, { ref: false })]);
  }

  /** Ends the running syncs to a peer an administrator deleted or disabled; their rows end as `interrupted`, saying why. */
  stopRunsToPeer(peerId: number, why: 'deleted' | 'disabled'): void {
    this.retries.cancelPeer(peerId);
    for (const run of this.running.values()) {
      if (run.progress.peerId !== peerId) continue;
      const message = `The peer ${run.progress.peerName} was ${why} while this sync ran`;
      const hint = why === 'deleted' ? 'Nothing to do: nothing more is sent to that peer.' : 'Enable the peer again to go on syncing to it; the next sync resumes.';
      run.controller.abort(new AnemoneError('SYNC_INTERRUPTED', { message, hint }));
    }
  }

  private startAll(shares: ShareRow[], peers: SyncPeer[], options: SyncRequestOptions) {
    const started: StartedSync[] = [];
    const refused: RefusedSync[] = [];
    for (const share of shares) {
      for (const peer of peers) {
        const result = this.start(share, peer, options);
        if ('code' in result) refused.push(result);
        else started.push(result);
      }
    }
    return { started, refused };
  }

  private start(share: ShareRow, peer: SyncPeer, options: SyncRequestOptions, attempt = 1): StartedSync | RefusedSync {
    const key = runKey(share.id, peer.id);
    if (this.running.has(key)) {
      return {
        shareId: share.id,
        peerId: peer.id,
        peerName: peer.name,
        code: 'SYNC_ALREADY_RUNNING',
        message: `A sync of ${share.username}/${share.name} to ${peer.name} is already running`,
      };
    }
    const run = {
      userId: share.userId,
      username: share.username,
      shareId: share.id,
      shareName: share.name,
      peerId: peer.id,
      peerName: peer.name,
      startedAt: this.now().toISOString(),
    };
    // any run of the pair (Sync now, the next slot, a retry itself) supersedes a pending retry: they never stack
    this.retries.cancel(share.id, peer.id);
    const logId = this.deps.repos.syncLogs.insertRunning({ ...run, attempt });
    const controller = new AbortController();
    const progress: SyncProgress = {
      ...run,
      logId,
      phase: 'connecting',
      filesDone: 0,
      filesTotal: 0,
      bytesDone: 0,
      bytesTotal: 0,
    };
    const rate = new TransferRate();
    const done = this.execute(share, peer, progress, controller, rate, options, attempt).finally(() => this.running.delete(key));
    this.running.set(key, { progress, controller, rate, done });
    return { logId, shareId: share.id, peerId: peer.id, peerName: peer.name, done };
  }

  private async execute(
    share: ShareRow,
    peer: SyncPeer,
    progress: SyncProgress,
    controller: AbortController,
    rate: TransferRate,
    options: SyncRequestOptions,
    attempt: number,
  ): Promise<void> {
    const { repos, logger } = this.deps;
    const log = logger.child({ logId: progress.logId, user: share.username, share: share.name, peer: peer.name });
    const about = { logId: progress.logId, shareId: share.id, peerId: peer.id, username: share.username, shareName: share.name, peerName: peer.name, attempt };
    log.info({ force: options.force ?? false }, 'sync started');
    const watchdog = new Watchdog(peer.timeoutMinutes * 60_000, () => controller.abort(new AnemoneError('SYNC_TIMEOUT')));
    const startedAt = performance.now();
    const metered = { files: 0, bytes: 0 };
    // counted as they leave, not at the end: a run of hours shows its pace in the metrics while it goes
    // (both only grow within a run; a counter must never be handed a negative step)
    const meterProgress = () => {
      const files = Math.max(0, progress.filesDone - metered.files);
      const bytes = Math.max(0, progress.bytesDone - metered.bytes);
      if (files === 0 && bytes === 0) return;
      metered.files += files;
      metered.bytes += bytes;
      this.deps.meter?.sent(peer.name, { files, bytes });
    };
    const meterEnd = (status: 'success' | 'failure' | 'interrupted') =>
      this.deps.meter?.ended({ peerName: peer.name, status, durationSeconds: (performance.now() - startedAt) / 1000 });
    let countsWrittenAt = 0;
    let session: Awaited<ReturnType<PeerConnector['connect']>> | undefined;
    // large uploads the link dropped and that were tried again from the peer's offset, in this run
    const retries: UploadRetry[] = [];
    const resumable = {
      records: resumeRecordsFor(repos.resumableUploads, share.id, peer.id),
      retry: { ...DEFAULT_UPLOAD_RETRY, ...this.deps.uploadRetry },
      onRetry: (retry: UploadRetry) => {
        retries.push(retry);
        log.warn(
          { file: displayPath(retry.relPath), attempt: retry.attempt, code: retry.code, fromByte: retry.fromByte, retryInMs: retry.delayMs },
          "large upload interrupted; trying again from the bytes the peer holds",
        );
      },
      now: () => this.now(),
    };
    try {
      this.deps.holdOff?.(share.username, share.name);
      const user = repos.users.findById(share.userId);
      if (!user?.wrappedKey) throw new AnemoneError('USER_NOT_ACTIVATED');
      const userKey = unwrapUserKey(this.deps.masterKeys.get(), user.username, user.wrappedKey);
      session = await abortable(this.deps.peers.connect(peer.id, controller.signal), controller.signal);
      this.deps.peers.recordContact?.(peer.id, { ok: true });
      const connected = session;
      const runOnce = () =>
        runShareSync({
          serverName: this.deps.serverName(),
          username: share.username,
          shareId: share.id,
          shareName: share.name,
          shareRoot: this.deps.sharePath(share.username, share.name),
          userKey,
          session: connected,
          lastGeneration: repos.syncState.lastGeneration(share.id, peer.id),
          knownManifest: loadKnownManifest(repos.peerManifests, share.id, peer.id),
          onManifestState: (known) => saveKnownManifest(repos.peerManifests, share.id, peer.id, known),
          onCacheAgreement: (generation, cacheVersion) => repos.peerManifests.markCacheVersion(share.id, peer.id, generation, cacheVersion),
          force: options.force ?? false,
          confirmedPlan: options.confirmedPlan,
          signal: controller.signal,
          hashes: repos.fileHashes,
          onProgress: (update) => {
            Object.assign(progress, update);
            meterProgress();
            // bytes count as they leave (share-sync reports them while a file streams): a slow link that moves is not silent
            watchdog.reset();
            if (progress.phase === 'uploading') rate.record(progress.bytesDone, performance.now());
            // the row follows the run about once a second, not once per file
            if (Date.now() - countsWrittenAt >= 1000) {
              countsWrittenAt = Date.now();
              repos.syncLogs.updateCounts(progress.logId, progress.filesDone, progress.bytesDone);
            }
          },
          onGenerationWritten: (generation) => repos.syncState.recordGeneration(share.id, peer.id, generation),
          now: () => this.now(),
          resumable,
          ...(this.deps.testHooks ? { testHooks: this.deps.testHooks } : {}),
        });
      const result = await abortable(
        runOnce().catch(async (error: unknown) => {
          if ((error as { code?: unknown } | null)?.code !== 'BACKUP_RESET_ON_PEER') throw error;
          // the peer's administrator deleted the share during the run: what this server believed the peer
          // holds is gone, so the share starts over once, from nothing (a second deletion fails the run)
          log.warn("the peer's administrator deleted this share's backups during the sync; sending it again in full");
          saveKnownManifest(repos.peerManifests, share.id, peer.id, undefined);
          repos.resumableUploads.forgetShare(share.id, peer.id);
          return runOnce();
        }),
        controller.signal,
      );
      // still `success` (the share reached the peer), but never a plain one: the count and the list go with it
      const finishedAt = this.now().toISOString();
      repos.syncLogs.finish(progress.logId, {
        status: 'success',
        finishedAt,
        fileCount: result.filesUploaded,
        bytesTransferred: result.bytesTransferred,
        ...(result.skipped.length > 0 ? notBackedUpMessage(result.skipped) : {}),
      });
      if (result.skipped.length > 0) repos.syncLogs.recordNotBackedUp(progress.logId, result.skipped);
      recordRunHistory(repos, { logId: progress.logId, shareId: share.id }, result, this.now());
      meterEnd('success');
      this.deps.onRunFinished?.({ ...about, status: 'success', finishedAt, retryPending: false });
      log.info({ files: result.filesUploaded, deleted: result.filesDeleted, bytes: result.bytesTransferred, skipped: result.skipped.length, generation: result.generation, uploadRetries: retries.length, endedAfterWalk: result.endedAfterWalk ?? false }, 'sync finished');
    } catch (error) {
      const failure = describeFailure(error);
      const heldPlan = heldPlanOf(error);
      if (heldPlan !== undefined) this.held.record(share.id, peer.id, { logId: progress.logId, plan: heldPlan, heldAt: this.now().toISOString() });
      // a timetable pause stops the run like a shutdown: nothing failed, the next run resumes
      // a cancel too: nothing failed, and the next run resumes from what arrived
      const interrupted = failure.code === 'SYNC_INTERRUPTED' || failure.code === 'UPLOAD_PAUSED' || failure.code === 'SYNC_CANCELLED';
      const retry = !interrupted && options.scheduled === true ? this.scheduleRetry(share.id, peer.id, attempt, failure.code) : undefined;
      const ended = {
        status: interrupted ? ('interrupted' as const) : ('failure' as const),
        finishedAt: this.now().toISOString(),
        error: retries.length > 0 ? `${failure.message} (after ${retries.length} ${retries.length === 1 ? 'retry' : 'retries'} from the bytes the peer held; the next sync resumes from there)` : failure.message,
        hint: retry ? `${failure.hint} ${retry}` : failure.hint,
      };
      repos.syncLogs.finish(progress.logId, { ...ended, fileCount: progress.filesDone, bytesTransferred: progress.bytesDone, errorCode: failure.code });
      this.deps.onRunFinished?.({ ...about, ...ended, code: failure.code, retryPending: retry !== undefined });
      if (failure.peerProblem) this.deps.peers.recordContact?.(peer.id, { ok: false, code: failure.code, message: failure.message });
      meterEnd(interrupted ? 'interrupted' : 'failure');
      log.warn({ code: failure.code, error: failure.message, uploadRetries: retries.length, attempt, retry: retry ?? null }, 'sync failed');
      if (failure.code === 'INTERNAL') log.error({ err: error }, 'sync failed unexpectedly');
    } finally {
      watchdog.stop();
      await session?.close().catch(() => undefined);
    }
  }

  /**
   * Arms the next retry of a failed scheduled run when the failure is
   * transient and retries are left; says when, for the failed row's hint.
   */
  private scheduleRetry(shareId: number, peerId: number, attempt: number, code: string): string | undefined {
    if (!isRetryable(code)) return undefined;
    const wait = this.retries.delaysMs[attempt - 1];
    const armed = this.retries.schedule(shareId, peerId, attempt, () => this.retry(shareId, peerId, attempt + 1));
    if (!armed || wait === undefined) return undefined;
    return `Retrying automatically in ${describeWait(wait)} (retry ${attempt} of ${this.retries.maxRetries}).`;
  }

  /** A retry runs only if the pair would still sync on schedule: share synced, user activated, peer enabled and confirmed. */
  private retry(shareId: number, peerId: number, attempt: number): void {
    const share = this.deps.repos.shares.findById(shareId);
    const peer = this.deps.peers.enabledPeers().find((candidate) => candidate.id === peerId);
    const user = share ? this.deps.repos.users.findById(share.userId) : undefined;
    if (!share?.syncEnabled || !peer || peer.fingerprint === null || !user?.wrappedKey) return;
    const started = this.start(share, peer, { scheduled: true }, attempt);
    const retryLog = this.deps.logger.child({ user: share.username, share: share.name, peer: peer.name });
    if ('code' in started) retryLog.info({ reason: started.message }, 'sync retry skipped: the pair is already syncing');
    else retryLog.info({ logId: started.logId, retry: attempt - 1, of: this.retries.maxRetries }, 'sync retry started');
  }
}

function describeWait(ms: number): string {
  if (ms >= 60_000) {
    const minutes = Math.round(ms / 60_000);
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  const seconds = Math.max(1, Math.round(ms / 1000));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** Shutdown waits at most this long for running syncs to record how they ended. */
const STOP_WAIT_MS = 5000;

function splitByConfirmation(peers: SyncPeer[]): { ready: SyncPeer[]; unconfirmed: SyncPeer[] } {
  return { ready: peers.filter((peer) => peer.fingerprint !== null), unconfirmed: peers.filter((peer) => peer.fingerprint === null) };
}

/** The plan a guard held (mass deletion, ransomware tripwire), when that is how the run ended. */
function heldPlanOf(error: unknown): string | undefined {
  if (!(error instanceof AnemoneError) || !HELD_PLAN_CODES.has(error.code)) return undefined;
  const details = error.details as { heldPlan?: unknown } | undefined;
  return typeof details?.heldPlan === 'string' ? details.heldPlan : undefined;
}

/** "N files not backed up", with the first few and where the rest are. */
function notBackedUpMessage(files: readonly { relPath: string; reason: string }[]): { error: string; hint: string } {
  const first = files
    .slice(0, 3)
    .map((file) => `${displayPath(file.relPath)} (${file.reason})`)
    .join('; ');
  return {
    error: `${files.length} ${files.length === 1 ? 'file' : 'files'} not backed up: ${first}${files.length > 3 ? '; …' : ''}`,
    hint: 'Fix what each reason says (a permission, a link…); the next sync sends them. The sync log of this run lists every file with why.',
  };
}

function runKey(shareId: number, peerId: number): string {
  return `${shareId}:${peerId}`;
}

/** Errors carrying a code, message and hint: ours, and the peer client's. */
function describeFailure(error: unknown): { code: string; message: string; hint: string; peerProblem: boolean } {
  if (error instanceof AnemoneError) {
    return { code: error.code, message: error.message, hint: error.hint, peerProblem: error.code === 'PEER_NOT_PINNED' };
  }
  const coded = error as { code?: unknown; message?: unknown; hint?: unknown } | undefined;
  if (coded && typeof coded.code === 'string' && typeof coded.hint === 'string' && typeof coded.message === 'string') {
    return { code: coded.code, message: coded.message, hint: coded.hint, peerProblem: true };
  }
  return {
    code: 'INTERNAL',
    message: `The sync failed: ${error instanceof Error ? error.message : String(error)}`,
    hint: "Try again; if it keeps happening, look at the server's log (its standard output: journalctl -u anemone, docker logs; or the file ANEMONE_LOG_FILE names).",
    peerProblem: false,
  };
}

/** Rejects as soon as the signal aborts, even if `work` is stuck on a silent socket. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Fires when `reset` has not been called for `timeoutMs`. */
class Watchdog {
  private timer: NodeJS.Timeout;

  constructor(timeoutMs: number, onTimeout: () => void) {
    this.timer = setTimeout(onTimeout, timeoutMs);
  }

  /** Called for every piece of an upload: refreshing the timer costs less than a new one. */
  reset(): void {
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
