import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dueAtStart, nextRunAt } from './next-run.js';
import { DEFAULT_SCHEDULE, INTERVAL_MINUTES, type Schedule } from './schedule.js';

const daily = (time: string): Schedule => ({ ...DEFAULT_SCHEDULE, mode: 'daily', time });
const weekly = (dayOfWeek: number, time: string): Schedule => ({ ...DEFAULT_SCHEDULE, mode: 'weekly', dayOfWeek, time });
const monthly = (dayOfMonth: number, time: string): Schedule => ({ ...DEFAULT_SCHEDULE, mode: 'monthly', dayOfMonth, time });
const every = (intervalMinutes: Schedule['intervalMinutes']): Schedule => ({ ...DEFAULT_SCHEDULE, mode: 'interval', intervalMinutes });
const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The runs after `after`, each computed from the one before, as the scheduler does. */
function runs(schedule: Schedule, after: Date, timeZone: string, count: number): Date[] {
  const result: Date[] = [];
  let cursor = after;
  for (let i = 0; i < count; i += 1) {
    const next = nextRunAt(schedule, cursor, timeZone, cursor);
    assert.ok(next);
    result.push(next);
    cursor = next;
  }
  return result;
}

// ---- an independent oracle: wall-clock time through Intl only, no croner ----

interface Wall {
  date: string; // YYYY-MM-DD
  time: string; // HH:MM
  weekday: number; // 0 = Sunday
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wall(instant: Date | number, timeZone: string): Wall {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday ?? ''),
    day: Number(parts.day),
  };
}

/**
 * When `time` happens on local `date`: its first occurrence when it happens
 * twice, or the end of the gap when spring-forward skips it.
 */
function occurrence(date: string, time: string, timeZone: string): number {
  const asUtc = Date.parse(`${date}T${time}:00Z`);
  // every zone's offset is within ±14 h and a multiple of 15 minutes
  const candidates: number[] = [];
  for (let offset = -14 * 60; offset <= 14 * 60; offset += 15) {
    const instant = asUtc - offset * 60_000;
    const local = wall(instant, timeZone);
    if (local.date === date && local.time === time) candidates.push(instant);
  }
  if (candidates.length > 0) return Math.min(...candidates);
  // skipped: the first minute of that day whose wall time is past `time`
  let low = asUtc - 14 * 3_600_000;
  let high = asUtc + 14 * 3_600_000;
  const isPast = (instant: number) => {
    const local = wall(instant, timeZone);
    return local.date > date || (local.date === date && local.time > time);
  };
  while (high - low > 60_000) {
    const middle = low + Math.floor((high - low) / 120_000) * 60_000;
    if (isPast(middle)) high = middle;
    else low = middle;
  }
  return high;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function expectedNext(schedule: Schedule, after: Date, timeZone: string): number {
  const start = addDays(wall(after, timeZone).date, -1);
  for (let days = 0; days < 40; days += 1) {
    const date = addDays(start, days);
    const noon = wall(Date.parse(`${date}T12:00:00Z`), 'UTC');
    if (schedule.mode === 'weekly' && noon.weekday !== schedule.dayOfWeek) continue;
    if (schedule.mode === 'monthly' && noon.day !== schedule.dayOfMonth) continue;
    const instant = occurrence(date, schedule.time, timeZone);
    if (instant > after.getTime()) return instant;
  }
  throw new Error('no run within 40 days');
}

const ZONES = ['Europe/Paris', 'America/New_York', 'Australia/Sydney', 'UTC', 'America/Sao_Paulo', 'Asia/Kolkata', 'Australia/Lord_Howe'];

describe('nextRunAt: daily across daylight-saving changes', () => {
  it('Europe/Paris spring-forward: 02:30 does not exist, it runs at 03:00 that day', () => {
    assert.equal(iso(nextRunAt(daily('02:30'), at('2025-03-29T12:00:00Z'), 'Europe/Paris')), '2025-03-30T01:00:00.000Z');
    assert.deepEqual(runs(daily('02:30'), at('2025-03-28T12:00:00Z'), 'Europe/Paris', 4).map(iso), [
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:00:00.000Z', // 03:00 CEST, the end of the gap
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
      '2025-04-01T00:30:00.000Z',
    ]);
  });

  it('Europe/Paris fall-back: 02:30 happens twice and runs once, at the first', () => {
    assert.deepEqual(runs(daily('02:30'), at('2025-10-25T12:00:00Z'), 'Europe/Paris', 3).map(iso), [
      '2025-10-26T00:30:00.000Z', // 02:30 CEST; 01:30Z is 02:30 CET again, not run
      '2025-10-27T01:30:00.000Z',
      '2025-10-28T01:30:00.000Z',
    ]);
    // a restart between the two 02:30s does not run the second one
    assert.equal(iso(nextRunAt(daily('02:30'), at('2025-10-26T01:15:00Z'), 'Europe/Paris')), '2025-10-27T01:30:00.000Z');
  });

  it('America/New_York: 02:30 skipped in March runs at 03:00, 01:30 repeated in November runs once', () => {
    assert.equal(iso(nextRunAt(daily('02:30'), at('2025-03-08T06:00:00Z'), 'America/New_York')), '2025-03-08T07:30:00.000Z');
    assert.equal(iso(nextRunAt(daily('02:30'), at('2025-03-08T08:00:00Z'), 'America/New_York')), '2025-03-09T07:00:00.000Z');
    assert.deepEqual(runs(daily('01:30'), at('2025-11-01T12:00:00Z'), 'America/New_York', 2).map(iso), [
      '2025-11-02T05:30:00.000Z', // 01:30 EDT; 06:30Z (01:30 EST) is not run
      '2025-11-03T06:30:00.000Z',
    ]);
  });

  it('Australia/Sydney: the southern changes, October forward and April back', () => {
    assert.equal(iso(nextRunAt(daily('02:30'), at('2025-10-04T12:00:00Z'), 'Australia/Sydney')), '2025-10-04T16:00:00.000Z'); // 03:00 AEDT
    assert.deepEqual(runs(daily('02:30'), at('2025-04-05T12:00:00Z'), 'Australia/Sydney', 2).map(iso), [
      '2025-04-05T15:30:00.000Z', // 02:30 AEDT, the first of two
      '2025-04-06T16:30:00.000Z', // 02:30 AEST the next day
    ]);
  });

  it('UTC: exactly 24 hours apart, all year', () => {
    const year = runs(daily('02:00'), at('2024-01-01T00:00:00Z'), 'UTC', 366);
    for (let i = 1; i < year.length; i += 1) assert.equal(year[i]!.getTime() - year[i - 1]!.getTime(), 86_400_000);
    assert.equal(iso(year.at(-1)!), '2024-12-31T02:00:00.000Z');
  });

  it('runs exactly once on every local day of a year, in every zone, at the times DST touches', () => {
    for (const timeZone of ZONES) {
      for (const time of ['00:30', '01:30', '02:00', '02:30', '03:00']) {
        const year = runs(daily(time), at('2025-01-01T00:00:00Z'), timeZone, 365);
        const dates = year.map((instant) => wall(instant, timeZone).date);
        assert.equal(new Set(dates).size, 365, `${timeZone} ${time}: a day doubled`);
        for (let i = 1; i < dates.length; i += 1) assert.equal(dates[i], addDays(dates[i - 1]!, 1), `${timeZone} ${time}: a day skipped`);
        for (const instant of year) {
          // on time, or right after a gap that swallowed the time
          const local = wall(instant, timeZone);
          assert.ok(local.time === time || wall(instant.getTime() - 60_000, timeZone).time < time, `${timeZone} ${time}: ran at ${local.time}`);
        }
      }
    }
  });
});

describe('nextRunAt: weekly and monthly', () => {
  it('weekly wraps over the end of the week', () => {
    // 2025-06-07 is a Saturday
    assert.equal(iso(nextRunAt(weekly(1, '09:00'), at('2025-06-07T12:00:00Z'), 'UTC')), '2025-06-09T09:00:00.000Z');
    assert.equal(iso(nextRunAt(weekly(0, '09:00'), at('2025-06-07T12:00:00Z'), 'UTC')), '2025-06-08T09:00:00.000Z');
    assert.equal(iso(nextRunAt(weekly(6, '09:00'), at('2025-06-07T12:00:00Z'), 'UTC')), '2025-06-14T09:00:00.000Z');
    assert.equal(iso(nextRunAt(weekly(6, '13:00'), at('2025-06-07T12:00:00Z'), 'UTC')), '2025-06-07T13:00:00.000Z');
  });

  it('weekly on the day Paris springs forward', () => {
    assert.deepEqual(runs(weekly(0, '02:30'), at('2025-03-25T00:00:00Z'), 'Europe/Paris', 2).map(iso), [
      '2025-03-30T01:00:00.000Z',
      '2025-04-06T00:30:00.000Z',
    ]);
  });

  it('weekly uses the local day: Sunday 08:00 in Sydney is Saturday in UTC', () => {
    assert.equal(iso(nextRunAt(weekly(0, '08:00'), at('2025-06-01T00:00:00Z'), 'Australia/Sydney')), '2025-06-07T22:00:00.000Z');
  });

  it('monthly on the 28th: in February of leap and common years alike, never skipping a month', () => {
    assert.deepEqual(runs(monthly(28, '02:00'), at('2024-01-30T00:00:00Z'), 'UTC', 3).map(iso), [
      '2024-02-28T02:00:00.000Z',
      '2024-03-28T02:00:00.000Z',
      '2024-04-28T02:00:00.000Z',
    ]);
    assert.equal(iso(nextRunAt(monthly(28, '02:00'), at('2023-02-27T00:00:00Z'), 'UTC')), '2023-02-28T02:00:00.000Z');
    assert.equal(iso(nextRunAt(monthly(28, '02:00'), at('2023-02-28T02:00:00Z'), 'UTC')), '2023-03-28T02:00:00.000Z');
    const twelve = runs(monthly(28, '23:59'), at('2024-12-31T00:00:00Z'), 'America/New_York', 12);
    assert.deepEqual(
      twelve.map((instant) => wall(instant, 'America/New_York').date),
      Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}-28`),
    );
  });

  it('monthly on the 1st, after the end of a 31-day month', () => {
    assert.equal(iso(nextRunAt(monthly(1, '00:00'), at('2025-01-31T23:59:00Z'), 'UTC')), '2025-02-01T00:00:00.000Z');
    assert.equal(iso(nextRunAt(monthly(1, '00:00'), at('2025-12-31T12:00:00Z'), 'Europe/Paris')), '2025-12-31T23:00:00.000Z');
  });
});

describe('nextRunAt: matches a wall-clock oracle (property)', () => {
  const HOURS_DST_TOUCHES = [0, 1, 2, 3];
  const scheduleArb = fc
    .record({
      mode: fc.constantFrom('daily' as const, 'weekly' as const, 'monthly' as const),
      hour: fc.oneof(fc.constantFrom(...HOURS_DST_TOUCHES), fc.integer({ min: 0, max: 23 })),
      minute: fc.constantFrom(0, 15, 30, 59),
      dayOfWeek: fc.integer({ min: 0, max: 6 }),
      dayOfMonth: fc.integer({ min: 1, max: 28 }),
    })
    .map(
      ({ mode, hour, minute, dayOfWeek, dayOfMonth }): Schedule => ({
        ...DEFAULT_SCHEDULE,
        mode,
        time: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
        dayOfWeek,
        dayOfMonth,
      }),
    );
  // instants near the 2024-2026 changes in the zones above, and anywhere in 2020-2030
  const transitions = [
    '2025-03-30T01:00:00Z', '2025-10-26T01:00:00Z', '2025-03-09T07:00:00Z', '2025-11-02T06:00:00Z',
    '2025-10-04T16:00:00Z', '2025-04-05T16:00:00Z', '2024-03-31T01:00:00Z', '2024-02-29T12:00:00Z',
  ].map(Date.parse);
  const afterArb = fc.oneof(
    fc.tuple(fc.constantFrom(...transitions), fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 })).map(([base, shift]) => new Date(base + shift)),
    fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') }).map((ms) => new Date(ms)),
  );

  it('is the first slot strictly after `after`, on time or at the end of a DST gap, first occurrence of a repeated time', () => {
    fc.assert(
      fc.property(scheduleArb, afterArb, fc.constantFrom(...ZONES), (schedule, after, timeZone) => {
        const next = nextRunAt(schedule, after, timeZone);
        assert.ok(next);
        assert.equal(next.toISOString(), new Date(expectedNext(schedule, after, timeZone)).toISOString());
      }),
      { numRuns: 300 },
    );
  });
});

describe('nextRunAt: interval', () => {
  it('counts from the last run', () => {
    for (const minutes of INTERVAL_MINUTES) {
      const last = at('2025-06-01T10:00:00Z');
      assert.equal(nextRunAt(every(minutes), at('2025-06-01T10:00:01Z'), 'UTC', last)?.getTime(), last.getTime() + minutes * 60_000);
    }
  });

  it('with no run yet, counts from now (when the schedule was saved)', () => {
    assert.equal(iso(nextRunAt(every(15), at('2025-06-01T10:00:00Z'), 'UTC')), '2025-06-01T10:15:00.000Z');
  });

  it('an overdue run is due now, once, not once per missed interval', () => {
    const now = at('2025-06-01T18:07:00Z');
    assert.equal(iso(nextRunAt(every(15), now, 'UTC', at('2025-06-01T10:00:00Z'))), now.toISOString());
  });

  it('is elapsed time: daylight-saving changes neither shorten nor stretch it', () => {
    const spring = runs(every(60), at('2025-03-30T00:00:00Z'), 'Europe/Paris', 4);
    for (let i = 1; i < spring.length; i += 1) assert.equal(spring[i]!.getTime() - spring[i - 1]!.getTime(), 3_600_000);
    const fall = runs(every(1440), at('2025-10-25T12:00:00Z'), 'America/New_York', 3);
    for (let i = 1; i < fall.length; i += 1) assert.equal(fall[i]!.getTime() - fall[i - 1]!.getTime(), 86_400_000);
  });

  it('a last run in the future (the clock went back) counts from now instead', () => {
    assert.equal(iso(nextRunAt(every(30), at('2025-06-01T10:00:00Z'), 'UTC', at('2025-06-02T10:00:00Z'))), '2025-06-01T10:30:00.000Z');
  });
});

describe('nextRunAt: disabled', () => {
  it('is null in every mode', () => {
    for (const schedule of [daily('02:00'), weekly(3, '04:00'), monthly(15, '05:00'), every(15)]) {
      assert.equal(nextRunAt({ ...schedule, enabled: false }, at('2025-06-01T00:00:00Z'), 'Europe/Paris', at('2025-05-01T00:00:00Z')), null);
    }
  });
});

describe('dueAtStart: a run missed while the server was down', () => {
  const now = at('2025-06-10T12:00:00Z');

  it('runs once at start when the stored slot passed, however many slots were missed', () => {
    const schedule = every(15);
    const lastRunAt = at('2025-06-08T09:00:00Z'); // two days down: ~200 missed intervals
    assert.equal(dueAtStart(schedule, lastRunAt, at('2025-06-08T09:15:00Z'), now), true);
    // the scheduler runs it now, records it, and the next slot is one interval on: nothing else is due
    const next = nextRunAt(schedule, now, 'UTC', now);
    assert.equal(iso(next), '2025-06-10T12:15:00.000Z');
    assert.equal(dueAtStart(schedule, now, next ?? undefined, now), false);
  });

  it('a daily run missed runs at start, then the next is tomorrow', () => {
    const schedule = daily('02:00');
    assert.equal(dueAtStart(schedule, at('2025-06-08T02:00:00Z'), at('2025-06-09T02:00:00Z'), now), true);
    assert.equal(iso(nextRunAt(schedule, now, 'UTC', now)), '2025-06-11T02:00:00.000Z');
  });

  it('is not due when the stored slot is still ahead', () => {
    assert.equal(dueAtStart(daily('02:00'), at('2025-06-10T02:00:00Z'), at('2025-06-11T02:00:00Z'), now), false);
  });

  it('is not due when the last run already covered the stored slot', () => {
    assert.equal(dueAtStart(daily('02:00'), at('2025-06-10T02:00:00Z'), at('2025-06-10T02:00:00Z'), now), false);
  });

  it('is never due when disabled', () => {
    assert.equal(dueAtStart({ ...every(15), enabled: false }, at('2025-06-01T00:00:00Z'), at('2025-06-01T00:15:00Z'), now), false);
  });

  it('with nothing stored: an overdue interval is due, a first start of a daily schedule is not', () => {
    assert.equal(dueAtStart(every(60), at('2025-06-10T10:00:00Z'), undefined, now), true);
    assert.equal(dueAtStart(every(60), at('2025-06-10T11:30:00Z'), undefined, now), false);
    assert.equal(dueAtStart(daily('02:00'), undefined, undefined, now), false);
    assert.equal(dueAtStart(every(60), undefined, undefined, now), false);
  });
});
