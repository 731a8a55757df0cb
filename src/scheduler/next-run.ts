import { Cron } from 'croner';
import { type Schedule, timeOfDay } from './schedule.js';

/**
 * When the schedule next runs after `after`, in `timeZone` (an IANA name);
 * null when automatic sync is off. Pure: the clock and the zone are inputs.
 *
 * - daily, weekly, monthly: the first HH:MM strictly after `after`, on the
 *   right day, in the zone's wall-clock time. Computed by croner, which is
 *   DST-safe: a time skipped by spring-forward (02:30 in Paris on the last
 *   Sunday of March) runs when the gap ends (03:00) that day; a time that
 *   happens twice at fall-back runs once, at its first occurrence.
 * - interval: elapsed time, no wall clock, so DST changes nothing. It counts
 *   from the last scheduled run; with none yet, from `after` (the moment the
 *   schedule was saved). When that moment has already passed (the server was
 *   down, or the mode just changed to a short interval) the run is due now:
 *   the answer is `after` itself, once, never one run per missed interval.
 */
export function nextRunAt(schedule: Schedule, after: Date, timeZone: string, lastRunAt?: Date): Date | null {
  if (!schedule.enabled) return null;
  if (schedule.mode === 'interval') return nextIntervalRun(schedule.intervalMinutes, after, lastRunAt);
  return new Cron(cronPattern(schedule), { timezone: timeZone }).nextRun(after);
}

function nextIntervalRun(intervalMinutes: number, after: Date, lastRunAt: Date | undefined): Date {
  // a last run "in the future" means the clock went back: count from now rather than wait for it
  const anchor = Math.min(lastRunAt?.getTime() ?? after.getTime(), after.getTime());
  return new Date(Math.max(anchor + intervalMinutes * 60_000, after.getTime()));
}

/**
 * One value each for seconds, minutes and hours: croner calls that a
 * fixed-time job, the kind it moves past a DST gap and runs once in a
 * repeated hour (an interval job would be skipped in the gap and doubled).
 */
function cronPattern(schedule: Schedule): string {
  const { hour, minute } = timeOfDay(schedule);
  switch (schedule.mode) {
    case 'daily':
      return `0 ${minute} ${hour} * * *`;
    case 'weekly':
      return `0 ${minute} ${hour} * * ${schedule.dayOfWeek}`;
    case 'monthly':
      return `0 ${minute} ${hour} ${schedule.dayOfMonth} * *`;
    case 'interval':
      throw new Error('an interval has no cron pattern');
  }
}

/**
 * Whether the server, starting, should run a sync right away: a scheduled
 * run fell while it was down. However many slots were missed this is one
 * run; the scheduler then records it and computes the next slot from now.
 *
 * `storedNextRunAt` is the slot saved before the stop. Without one (a
 * schedule never armed) only an interval can tell from its last run alone;
 * a daily, weekly or monthly schedule just waits for its next slot.
 */
export function dueAtStart(schedule: Schedule, lastRunAt: Date | undefined, storedNextRunAt: Date | undefined, now: Date): boolean {
  if (!schedule.enabled) return false;
  const slot =
    storedNextRunAt ?? (schedule.mode === 'interval' && lastRunAt ? new Date(lastRunAt.getTime() + schedule.intervalMinutes * 60_000) : undefined);
  if (!slot || slot.getTime() > now.getTime()) return false;
  // the slot ran already (the stop came between recording the run and saving its next slot)
  return !(lastRunAt && lastRunAt.getTime() >= slot.getTime());
}
