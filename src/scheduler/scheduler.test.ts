import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, it, mock } from 'node:test';
import pino from 'pino';
import { AnemoneError } from '../errors/catalogue.js';
import { DEFAULT_SCHEDULE, type Schedule } from './schedule.js';
import type { ScheduleRepos } from './schedule-store.js';
import { MAX_TIMER_DELAY_MS, type ScheduledSyncResult, Scheduler, type SchedulerTimers } from './scheduler.js';

const MINUTE = 60_000;
const every15: Schedule = { ...DEFAULT_SCHEDULE, mode: 'interval', intervalMinutes: 15 };

/** The server settings table, in memory: it outlives a Scheduler, as the database outlives a process. */
function memoryRepos(): ScheduleRepos {
  const values = new Map<string, string>();
  return { settings: { get: (key) => values.get(key), set: (key, value) => void values.set(key, value) }, transaction: (work) => work() };
}

/** A clock and timers that move only when the test says so. */
class FakeTime implements SchedulerTimers {
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;
  readonly delays: number[] = [];

  constructor(public nowMs: number) {}

  now = () => new Date(this.nowMs);

  setTimeout(callback: () => void, ms: number): unknown {
    this.delays.push(ms);
    const id = this.nextId++;
    this.timers.set(id, { at: this.nowMs + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves the clock on by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.nowMs = Math.max(this.nowMs, due[1].at);
      due[1].callback();
    }
    this.nowMs = target;
  }
}

function logCapture() {
  const lines: { msg: string; level: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** A scheduler on fake time with a runSync that records when it was called. */
function setUp(options: { start: string; timeZone?: string; repos?: ScheduleRepos; runSync?: () => ScheduledSyncResult }) {
  const time = new FakeTime(Date.parse(options.start));
  const calls: string[] = [];
  const { logger, lines } = logCapture();
  const scheduler = new Scheduler({
    repos: options.repos ?? memoryRepos(),
    runSync: () => {
      calls.push(time.now().toISOString());
      return options.runSync?.() ?? { started: [1], refused: [] };
    },
    logger,
    timeZone: options.timeZone ?? 'UTC',
    now: time.now,
    timers: time,
  });
  return { time, calls, scheduler, lines };
}

describe('Scheduler', () => {
  it('a 15-minute interval fires every 15 minutes', () => {
    const { time, calls, scheduler } = setUp({ start: '2025-06-01T10:00:00Z' });
    scheduler.start();
    const view = scheduler.update(every15);
    assert.equal(view.nextRunAt, '2025-06-01T10:15:00.000Z');
    time.advance(15 * MINUTE - 1);
    assert.deepEqual(calls, []);
    time.advance(1);
    assert.deepEqual(calls, ['2025-06-01T10:15:00.000Z']);
    time.advance(45 * MINUTE);
    assert.deepEqual(calls, ['2025-06-01T10:15:00.000Z', '2025-06-01T10:30:00.000Z', '2025-06-01T10:45:00.000Z', '2025-06-01T11:00:00.000Z']);
    assert.equal(scheduler.view().lastRunAt, '2025-06-01T11:00:00.000Z');
    assert.equal(scheduler.view().nextRunAt, '2025-06-01T11:15:00.000Z');
    scheduler.stop();
  });

  it('waits at most MAX_TIMER_DELAY_MS at a time, and a monthly run still fires once, on its day', () => {
    const { time, calls, scheduler } = setUp({ start: '2025-01-01T00:00:00Z' });
    scheduler.update({ ...DEFAULT_SCHEDULE, mode: 'monthly', dayOfMonth: 28, time: '03:00' });
    scheduler.start();
    time.advance(70 * 24 * 60 * MINUTE);
    assert.deepEqual(calls, ['2025-01-28T03:00:00.000Z', '2025-02-28T03:00:00.000Z']);
    assert.ok(time.delays.length > 100);
    assert.ok(Math.max(...time.delays) <= MAX_TIMER_DELAY_MS);
    assert.ok(MAX_TIMER_DELAY_MS < 2 ** 31 - 1);
    scheduler.stop();
  });

  it('runs a daily 02:30 once on the night Paris falls back, and at 03:00 when it springs forward', () => {
    const fall = setUp({ start: '2025-10-25T12:00:00Z', timeZone: 'Europe/Paris' });
    fall.scheduler.update({ ...DEFAULT_SCHEDULE, time: '02:30' });
    fall.scheduler.start();
    fall.time.advance(48 * 60 * MINUTE);
    assert.deepEqual(fall.calls, ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
    fall.scheduler.stop();

    const spring = setUp({ start: '2025-03-29T12:00:00Z', timeZone: 'Europe/Paris' });
    spring.scheduler.update({ ...DEFAULT_SCHEDULE, time: '02:30' });
    spring.scheduler.start();
    spring.time.advance(48 * 60 * MINUTE);
    assert.deepEqual(spring.calls, ['2025-03-30T01:00:00.000Z', '2025-03-31T00:30:00.000Z']);
    spring.scheduler.stop();
  });

  it('a run missed while the server was down runs once at start, then the schedule goes on from there', () => {
    const repos = memoryRepos();
    const before = setUp({ start: '2025-06-01T10:00:00Z', repos });
    before.scheduler.start();
    before.scheduler.update(every15);
    before.time.advance(15 * MINUTE);
    assert.equal(before.calls.length, 1);
    before.scheduler.stop();

    // two days later, a new process on the same settings: ~190 slots missed, one run
    const after = setUp({ start: '2025-06-03T09:07:00Z', repos });
    after.scheduler.start();
    assert.deepEqual(after.calls, ['2025-06-03T09:07:00.000Z']);
    assert.equal(after.scheduler.view().nextRunAt, '2025-06-03T09:22:00.000Z');
    after.time.advance(15 * MINUTE);
    assert.deepEqual(after.calls, ['2025-06-03T09:07:00.000Z', '2025-06-03T09:22:00.000Z']);
    after.scheduler.stop();
  });

  it('a restart with nothing missed runs nothing and keeps the slot', () => {
    const repos = memoryRepos();
    const first = setUp({ start: '2025-06-01T10:00:00Z', repos });
    first.scheduler.start();
    first.scheduler.update(every15);
    first.scheduler.stop();
    const second = setUp({ start: '2025-06-01T10:05:00Z', repos });
    second.scheduler.start();
    assert.deepEqual(second.calls, []);
    assert.equal(second.scheduler.view().nextRunAt, '2025-06-01T10:15:00.000Z');
    second.time.advance(10 * MINUTE);
    assert.deepEqual(second.calls, ['2025-06-01T10:15:00.000Z']);
    second.scheduler.stop();
  });

  it('a first start on a fresh server runs nothing and arms the default, daily at 02:00', () => {
    const { calls, scheduler } = setUp({ start: '2025-06-01T10:00:00Z', timeZone: 'America/New_York' });
    scheduler.start();
    assert.deepEqual(calls, []);
    assert.deepEqual(scheduler.view(), {
      ...DEFAULT_SCHEDULE,
      timeZone: 'America/New_York',
      nextRunAt: '2025-06-02T06:00:00.000Z',
      lastRunAt: null,
    });
    scheduler.stop();
  });

  it('re-arms when the schedule changes, and disarms when it is switched off', () => {
    const { time, calls, scheduler } = setUp({ start: '2025-06-01T10:00:00Z' });
    scheduler.start();
    scheduler.update({ ...DEFAULT_SCHEDULE, time: '10:30' });
    scheduler.update({ ...DEFAULT_SCHEDULE, time: '11:00' });
    time.advance(45 * MINUTE);
    assert.deepEqual(calls, []);
    time.advance(15 * MINUTE);
    assert.deepEqual(calls, ['2025-06-01T11:00:00.000Z']);
    const off = scheduler.update({ ...every15, enabled: false });
    assert.equal(off.nextRunAt, null);
    assert.equal(time.pending, 0);
    time.advance(24 * 60 * MINUTE);
    assert.equal(calls.length, 1);
  });

  it('stop() clears the timer', () => {
    const { time, calls, scheduler } = setUp({ start: '2025-06-01T10:00:00Z' });
    scheduler.start();
    scheduler.update(every15);
    scheduler.stop();
    assert.equal(time.pending, 0);
    time.advance(60 * MINUTE);
    assert.deepEqual(calls, []);
  });

  it('no enabled peer is "nothing to do"; a failing start is logged; the schedule carries on either way', () => {
    let failure: Error = new AnemoneError('NO_ENABLED_PEERS');
    const { time, calls, scheduler, lines } = setUp({
      start: '2025-06-01T10:00:00Z',
      runSync: () => {
        throw failure;
      },
    });
    scheduler.start();
    scheduler.update(every15);
    time.advance(15 * MINUTE);
    failure = new Error('disk on fire');
    time.advance(15 * MINUTE);
    assert.equal(calls.length, 2);
    assert.ok(lines.some((line) => line.msg === 'scheduled sync: nothing to do, no peer is enabled' && line.level === 30));
    assert.ok(lines.some((line) => line.msg === 'scheduled sync could not start' && line.level === 50));
    assert.equal(scheduler.view().nextRunAt, '2025-06-01T10:45:00.000Z');
    scheduler.stop();
  });

  it('shares still syncing are refused by the sync service, not started twice, and the run carries on', async () => {
    const { time, calls, scheduler, lines } = setUp({
      start: '2025-06-01T10:00:00Z',
      runSync: () => ({ started: [], refused: [{ message: 'A sync of alice/backup to peer-b is already running' }] }),
    });
    scheduler.start();
    scheduler.update(every15);
    time.advance(30 * MINUTE);
    assert.equal(calls.length, 2);
    // the outcome is logged once runSync's answer is awaited
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(lines.some((line) => line.msg === 'scheduled sync skipped a share already syncing'));
    scheduler.stop();
  });
});

describe('Scheduler on the real timer functions (node:test mock timers)', () => {
  afterEach(() => mock.timers.reset());

  it('a 15-minute interval fires after 15 minutes of (mocked) time', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2025-06-01T10:00:00Z') });
    let runs = 0;
    const scheduler = new Scheduler({
      repos: memoryRepos(),
      runSync: () => {
        runs += 1;
        return { started: [], refused: [] };
      },
      logger: pino({ level: 'silent' }),
      timeZone: 'UTC',
    });
    scheduler.start();
    scheduler.update(every15);
    // minute by minute: timers armed while a tick runs fire on the next one, on every Node version
    for (let minute = 1; minute < 15; minute += 1) mock.timers.tick(MINUTE);
    assert.equal(runs, 0);
    mock.timers.tick(MINUTE);
    assert.equal(runs, 1);
    assert.equal(scheduler.view().lastRunAt, '2025-06-01T10:15:00.000Z');
    for (let minute = 0; minute < 15; minute += 1) mock.timers.tick(MINUTE);
    assert.equal(runs, 2);
    scheduler.stop();
  });
});
