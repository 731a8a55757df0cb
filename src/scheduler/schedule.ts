import { z } from 'zod';

/** The intervals PRODUCT.md §5 offers: 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h. */
export const INTERVAL_MINUTES = [15, 30, 60, 120, 240, 480, 720, 1440] as const;

export const SCHEDULE_MODES = ['interval', 'daily', 'weekly', 'monthly'] as const;

const requiredOr = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'Required' : message);

/**
 * The automatic sync schedule. Every field is always present, whatever the
 * mode, so switching modes in the UI keeps the other modes' choices.
 */
export const scheduleSchema = z.object({
  enabled: z.boolean().describe('Automatic sync on or off'),
  mode: z.enum(SCHEDULE_MODES, { error: requiredOr(`Choose one of ${SCHEDULE_MODES.join(', ')}`) }).describe('Which of the fields below apply'),
  intervalMinutes: z.literal(INTERVAL_MINUTES, {
    error: requiredOr(`Choose one of ${INTERVAL_MINUTES.join(', ')} minutes (15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h or 24 h)`),
  }).describe('interval mode: minutes between runs, counted from the last scheduled run'),
  time: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use HH:MM on a 24-hour clock, from 00:00 to 23:59')
    .describe('daily, weekly and monthly modes: HH:MM in the server time zone'),
  dayOfWeek: z.number().int().min(0, 'Use 0 (Sunday) to 6 (Saturday)').max(6, 'Use 0 (Sunday) to 6 (Saturday)').describe('weekly mode: 0 = Sunday … 6 = Saturday'),
  // 1-28 so that every month has the day: no "31st" that silently skips February
  dayOfMonth: z.number().int().min(1, 'Use a day from 1 to 28').max(28, 'Use a day from 1 to 28').describe('monthly mode: 1 to 28'),
});

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
