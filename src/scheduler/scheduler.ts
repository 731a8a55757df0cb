import { AnemoneError } from '../errors/catalogue.js';
import type { Logger } from '../logging/logger.js';
import { dueAtStart, nextRunAt } from './next-run.js';
import type { Schedule } from './schedule.js';
import { type ScheduleRepos, ScheduleStore } from './schedule-store.js';

/** What starting "every share to every peer" reports (SyncService.syncEverything's answer). */
export interface ScheduledSyncResult {
  started: readonly unknown[];
  refused: readonly { message: string }[];
}

/** setTimeout and clearTimeout, injectable so a test can make a 15-minute interval fire at once. */
export interface SchedulerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The schedule as the API shows it. */
export interface ScheduleView extends Schedule {
  timeZone: string;
  nextRunAt: string | null;
  lastRunAt: string | null;
}

/**
 * The longest single wait. setTimeout overflows past 2^31-1 ms (24.8 days);
 * waking every ten minutes to look at the clock also notices a wall-clock
 * change (NTP, a suspended machine) that a long monotonic timer would miss.
 */
export const MAX_TIMER_DELAY_MS = 10 * 60_000;

/** The real timers, unref'd; the stale check of notifications uses them too. */
export const realTimers: SchedulerTimers = {
  // the globals are looked up at each call, so node:test's mock timers apply too
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms) as unknown as { unref?: () => void };
    // an armed schedule must not keep a process alive on its own (CLI commands, tests)
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The server's local time zone: the TZ environment variable when set, else the system's. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/**
 * Runs the sync on schedule: one timer, armed for the next run and re-armed
 * when the schedule changes. The next and last run times live in the server
 * settings, so a run missed while the server was down runs once at start.
 */
export class Scheduler {
  readonly timeZone: string;
  private readonly store: ScheduleStore;
  private readonly timers: SchedulerTimers;
  private timer: unknown;
  private started = false;

  constructor(
    private readonly deps: {
      repos: ScheduleRepos;
      /** Starts every sync-enabled share to every enabled peer; it refuses pairs already running. */
      runSync: () => ScheduledSyncResult | Promise<ScheduledSyncResult>;
      logger: Logger;
      timeZone?: string;
      now?: () => Date;
      timers?: SchedulerTimers;
    },
  ) {
    this.timeZone = deps.timeZone ?? localTimeZone();
    this.store = new ScheduleStore(deps.repos);
    this.timers = deps.timers ?? realTimers;
  }

  /** Arms the timer, first running once a slot that passed while the server was down. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = this.now();
    const schedule = this.store.schedule();
    const lastRunAt = this.store.lastRunAt();
    const storedNext = this.store.nextRunAt();
    if (dueAtStart(schedule, lastRunAt, storedNext, now)) {
      this.deps.logger.info({ missedRunAt: storedNext?.toISOString() }, 'scheduled sync missed while the server was down: running it now');
      this.run(now);
      return;
    }
    // an interval with no run yet counts from when it was saved, which only the stored slot remembers;
    // the other modes are computed again, in case the server's time zone changed since
    const keepStored = schedule.mode === 'interval' && !lastRunAt && storedNext !== undefined && storedNext > now;
    const next = keepStored ? storedNext : nextRunAt(schedule, now, this.timeZone, lastRunAt);
    this.store.saveNextRun(next);
    this.arm(next);
    // the time zone in the log: "why did it run at 03:00?" is usually a container without TZ
    this.deps.logger.info({ mode: schedule.mode, enabled: schedule.enabled, timeZone: this.timeZone, nextRunAt: next?.toISOString() ?? null }, 'scheduler started');
  }

  stop(): void {
    this.started = false;
    this.disarm();
  }

  view(): ScheduleView {
    const schedule = this.store.schedule();
    const lastRunAt = this.store.lastRunAt();
    // before the first start nothing is stored yet: show what start would arm
    const next = schedule.enabled ? (this.store.nextRunAt() ?? nextRunAt(schedule, this.now(), this.timeZone, lastRunAt)) : null;
    return { ...schedule, timeZone: this.timeZone, nextRunAt: next?.toISOString() ?? null, lastRunAt: lastRunAt?.toISOString() ?? null };
  }

  /** Saves a new schedule and re-arms the timer for the run it gives. */
  update(schedule: Schedule): ScheduleView {
    const next = nextRunAt(schedule, this.now(), this.timeZone, this.store.lastRunAt());
    this.store.saveSchedule(schedule, next);
    this.deps.logger.info({ schedule, nextRunAt: next?.toISOString() ?? null, timeZone: this.timeZone }, 'sync schedule changed');
    if (this.started) this.arm(next);
    return this.view();
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private arm(slot: Date | null): void {
    this.disarm();
    if (!slot) return;
    const delay = Math.min(Math.max(slot.getTime() - this.now().getTime(), 0), MAX_TIMER_DELAY_MS);
    this.timer = this.timers.setTimeout(() => this.onTimer(slot), delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimer(slot: Date): void {
    this.timer = undefined;
    const now = this.now();
    // a capped wait, or a timer a little early: not yet (computing "next after now" now would answer this slot again)
    if (now < slot) return this.arm(slot);
    this.run(now);
  }

  /** Records the run and arms the next before starting the sync, so neither a failure nor a stop can run a slot twice. */
  private run(ranAt: Date): void {
    const next = nextRunAt(this.store.schedule(), ranAt, this.timeZone, ranAt);
    this.store.recordRun(ranAt, next);
    this.arm(next);
    void this.startSync();
  }

  private async startSync(): Promise<void> {
    const { logger } = this.deps;
    try {
      const result = await this.deps.runSync();
      logger.info({ started: result.started.length, refused: result.refused.length }, 'scheduled sync started');
      // a share and peer still syncing from before are not started twice; the running sync covers them
      for (const refusal of result.refused) logger.info({ reason: refusal.message }, 'scheduled sync skipped a share already syncing');
    } catch (error) {
      if (error instanceof AnemoneError && error.code === 'NO_ENABLED_PEERS') {
        logger.info('scheduled sync: nothing to do, no peer is enabled');
        return;
      }
      logger.error({ err: error }, 'scheduled sync could not start');
    }
  }
}
