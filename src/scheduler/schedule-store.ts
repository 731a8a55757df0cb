import type { Repositories, SettingsRepo } from '../db/index.js';
import { DEFAULT_SCHEDULE, type Schedule, scheduleSchema } from './schedule.js';

const SCHEDULE = 'sync_schedule';
/** ISO instants; an empty value means "none" (the settings table has no delete). */
const NEXT_RUN_AT = 'sync_schedule_next_run_at';
const LAST_RUN_AT = 'sync_schedule_last_run_at';

/** What the store needs of the repositories (an in-memory fake in unit tests). */
export interface ScheduleRepos {
  settings: Pick<SettingsRepo, 'get' | 'set'>;
  transaction: Repositories['transaction'];
}

/** The schedule and its two instants, kept in the server settings so they survive a restart. */
export class ScheduleStore {
  constructor(private readonly repos: ScheduleRepos) {}

  /** The saved schedule, or the default; fields a newer version added take their default. */
  schedule(): Schedule {
    const raw = this.repos.settings.get(SCHEDULE);
    if (!raw) return DEFAULT_SCHEDULE;
    try {
      const parsed = scheduleSchema.safeParse({ ...DEFAULT_SCHEDULE, ...(JSON.parse(raw) as object) });
      if (parsed.success) return parsed.data;
    } catch {
      // a damaged value: the default rather than no schedule at all
    }
    return DEFAULT_SCHEDULE;
  }

  nextRunAt(): Date | undefined {
    return this.instant(NEXT_RUN_AT);
  }

  lastRunAt(): Date | undefined {
    return this.instant(LAST_RUN_AT);
  }

  /** A new schedule and the next run it gives, together. */
  saveSchedule(schedule: Schedule, nextRunAt: Date | null): void {
    this.repos.transaction(() => {
      this.repos.settings.set(SCHEDULE, JSON.stringify(schedule));
      this.repos.settings.set(NEXT_RUN_AT, nextRunAt?.toISOString() ?? '');
    });
  }

  saveNextRun(nextRunAt: Date | null): void {
    this.repos.settings.set(NEXT_RUN_AT, nextRunAt?.toISOString() ?? '');
  }

  /** A run and the slot after it, together: a stop between the two would run the slot again at start. */
  recordRun(ranAt: Date, nextRunAt: Date | null): void {
    this.repos.transaction(() => {
      this.repos.settings.set(LAST_RUN_AT, ranAt.toISOString());
      this.repos.settings.set(NEXT_RUN_AT, nextRunAt?.toISOString() ?? '');
    });
  }

  private instant(key: string): Date | undefined {
    const raw = this.repos.settings.get(key);
    if (!raw) return undefined;
    const date = new Date(raw);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
}
