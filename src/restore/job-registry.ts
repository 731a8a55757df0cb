/**
 * Running and recent restore jobs, in memory: a restart forgets them (a
 * restore run again skips the files already restored, so nothing is lost
 * but the report). At most one job writes into a given user's share at a
 * time, whoever started it.
 */
import { randomUUID } from 'node:crypto';
import { AnemoneError } from '../errors/catalogue.js';
import type { Logger } from '../logging/logger.js';
import { describeRestoreError } from './restore-errors.js';
import { finalStatus, type RestoreJob } from './restore-job.js';

/** Finished jobs kept for their reports; older ones are forgotten first. */
const KEPT_FINISHED = 50;

export type NewJob = Omit<RestoreJob, 'id' | 'startedAt' | 'finishedAt' | 'status' | 'error' | 'at'> & Partial<Pick<RestoreJob, 'at'>>;

export class RestoreJobRegistry {
  private readonly jobs = new Map<string, { job: RestoreJob; controller: AbortController; done: Promise<void> }>();
  private readonly busyShares = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => Date,
    /** Whether a sync of the share is running (the composition root knows the sync service; this engine does not). */
    private readonly isSyncing: (user: string, share: string) => boolean = () => false,
  ) {}

  /** Starts `run` in the background; refused (409) when one of its shares is being restored already. */
  start(fields: NewJob, run: (job: RestoreJob, signal: AbortSignal) => Promise<void>): RestoreJob {
    // what matters is where the files land: a restore into `data` neither waits for nor holds the backup's syncs
    const shares = fields.parts.map((part) => shareKey(part.user, part.intoShare));
    const busy = shares.find((key) => this.busyShares.has(key));
    if (busy) throw new AnemoneError('RESTORE_ALREADY_RUNNING', { message: `A restore into ${busy} is already running` });
    // a sync that scanned the share before the restore filled it would delete on the peer what is being restored
    const inSync = fields.parts.find((part) => this.isSyncing(part.user, part.intoShare));
    if (inSync) {
      throw new AnemoneError('SYNC_ALREADY_RUNNING', {
        message: `A sync of ${shareKey(inSync.user, inSync.intoShare)} is running; start the restore once it has finished`,
        hint: 'Its progress is on the Synchronisation page; a restore can start as soon as it ends.',
      });
    }
    for (const key of shares) this.busyShares.add(key);

    const job: RestoreJob = { ...fields, at: fields.at ?? null, id: randomUUID(), startedAt: this.now().toISOString(), finishedAt: null, status: 'running', error: null };
    const controller = new AbortController();
    const log = this.logger.child({ restoreJob: job.id, kind: job.kind, peer: job.peerName });
    log.info({ shares }, 'restore started');
    const done = run(job, controller.signal)
      .catch((error: unknown) => {
        job.error = describeRestoreError(controller.signal.aborted ? controller.signal.reason : error);
        log.warn({ code: job.error.code, error: job.error.message }, 'restore failed');
      })
      .finally(() => {
        for (const key of shares) this.busyShares.delete(key);
        job.finishedAt = this.now().toISOString();
        job.status = finalStatus(job);
        log.info({ status: job.status, files: job.parts.reduce((sum, part) => sum + part.filesDone, 0) }, 'restore finished');
        this.forgetOldJobs();
      });
    this.jobs.set(job.id, { job, controller, done });
    return job;
  }

  /** Whether a running job writes into this user's share. */
  isRestoring(user: string, share: string): boolean {
    return this.busyShares.has(shareKey(user, share));
  }

  get(id: string): RestoreJob | undefined {
    return this.jobs.get(id)?.job;
  }

  /** Newest first. */
  list(filter: (job: RestoreJob) => boolean = () => true): RestoreJob[] {
    return [...this.jobs.values()].map((entry) => entry.job).filter(filter).reverse();
  }

  /** Resolves when the job has ended (tests, shutdown). */
  async settled(id: string): Promise<void> {
    await this.jobs.get(id)?.done;
  }

  /**
   * Cancel: the job stops after the file it is writing, which is removed
   * unfinished; files restored before stay, and its report says cancelled.
   * Resolves once the job has ended.
   */
  async cancel(id: string, by: string, only: (job: RestoreJob) => boolean = () => true): Promise<RestoreJob> {
    const entry = this.jobs.get(id);
    if (!entry || !only(entry.job)) throw new AnemoneError('NOT_FOUND', { message: 'No such restore job' });
    if (entry.job.status !== 'running') throw new AnemoneError('RESTORE_NOT_RUNNING');
    entry.controller.abort(new AnemoneError('RESTORE_CANCELLED', { message: `The restore was cancelled by ${by}` }));
    await entry.done;
    return entry.job;
  }

  /** Server shutdown: running jobs stop after the file they are writing, which is removed unfinished. */
  async stopAll(): Promise<void> {
    const running = [...this.jobs.values()].filter((entry) => entry.job.status === 'running');
    for (const entry of running) entry.controller.abort(new AnemoneError('RESTORE_INTERRUPTED'));
    await Promise.all(running.map((entry) => entry.done));
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((entry) => entry.job.status !== 'running');
    for (const entry of finished.slice(0, Math.max(0, finished.length - KEPT_FINISHED))) this.jobs.delete(entry.job.id);
  }
}

function shareKey(user: string, share: string): string {
  return `${user}/${share}`;
}
