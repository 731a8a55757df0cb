import type { z } from 'zod';
import type { scheduleSchema } from '../contract/settings.js';

// the schedule's fields are part of the API contract: the web form edits the same schema
export { INTERVAL_MINUTES, SCHEDULE_MODES, scheduleSchema } from '../contract/settings.js';

export type Schedule = z.infer<typeof scheduleSchema>;
export type ScheduleMode = Schedule['mode'];
export type IntervalMinutes = Schedule['intervalMinutes'];

/**
 * What a fresh server does: sync every night at 02:00, server time, like the
 * nightly default of most backup tools. Without an enabled peer a run is a no-op.
 */
export const DEFAULT_SCHEDULE: Schedule = {
  enabled: true,
  mode: 'daily',
  intervalMinutes: 60,
  time: '02:00',
  dayOfWeek: 0,
  dayOfMonth: 1,
};

/** `time` as numbers. */
export function timeOfDay(schedule: Pick<Schedule, 'time'>): { hour: number; minute: number } {
  const [hour, minute] = schedule.time.split(':').map(Number);
  return { hour: hour ?? 0, minute: minute ?? 0 };
}
