import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** An instant's wall-clock weekday and HH:MM in a zone, through Intl alone (not the scheduler's code). */
function wallClock(iso: string, timeZone: string): { weekday: number; time: string; day: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
      .formatToParts(new Date(iso))
      .map((part) => [part.type, part.value]),
  );
  return { weekday: WEEKDAYS.indexOf(parts.weekday ?? ''), time: `${parts.hour}:${parts.minute}`, day: Number(parts.day) };
}

/** A weekly slot is right when it falls on that weekday at that time, in the zone, within the coming week. */
function assertWeeklySlot(nextRunAt: string, timeZone: string, dayOfWeek: number, time: string, now: number): void {
  const wall = wallClock(nextRunAt, timeZone);
  assert.equal(wall.weekday, dayOfWeek, `${nextRunAt} in ${timeZone}`);
  assert.equal(wall.time, time, `${nextRunAt} in ${timeZone}`);
  const ahead = Date.parse(nextRunAt) - now;
  assert.ok(ahead > 0 && ahead <= 7 * 86_400_000 + 3_600_000, `${nextRunAt} is within the coming week`);
}

const weeklyAt = (dayOfWeek: number, time: string) => ({ enabled: true, mode: 'weekly', intervalMinutes: 60, time, dayOfWeek, dayOfMonth: 1 });

describe('sync schedule: GET/PUT /api/admin/sync/config', () => {
  let test: TestServer;
  let admin: ApiClient;
  const serverZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  before(async () => {
    test = await startTestServer({ keepDataDir: true });
    ({ admin } = await setUpServer(test));
  });
  after(() => test.stop());

  it('starts nightly at 02:00, server time, and says which time zone that is', async () => {
    const response = await admin.get('/api/admin/sync/config');
    assert.equal(response.status, 200);
    const { nextRunAt, ...rest } = response.body;
    assert.deepEqual(rest, { enabled: true, mode: 'daily', intervalMinutes: 60, time: '02:00', dayOfWeek: 0, dayOfMonth: 1, timeZone: serverZone, lastRunAt: null });
    const ahead = Date.parse(nextRunAt) - Date.now();
    assert.ok(ahead > 0 && ahead <= 25 * 3_600_000);
  });

  it('weekly on a day at a time: nextRunAt is that day and time in the server time zone', async () => {
    const body = weeklyAt(3, '14:30');
    const put = await admin.request<any>('PUT', '/api/admin/sync/config', body);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual({ ...put.body, nextRunAt: undefined }, { ...body, timeZone: serverZone, nextRunAt: undefined, lastRunAt: null });
    assertWeeklySlot(put.body.nextRunAt, serverZone, 3, '14:30', Date.now());

    const got = await admin.get('/api/admin/sync/config');
    assert.deepEqual(got.body, put.body);
  });

  it('an interval counts from now when nothing ran yet; switched off, there is no next run', async () => {
    const before = Date.now();
    const put = await admin.request<any>('PUT', '/api/admin/sync/config', { ...weeklyAt(0, '00:00'), mode: 'interval', intervalMinutes: 15 });
    assert.equal(put.status, 200);
    const ahead = Date.parse(put.body.nextRunAt) - before;
    assert.ok(ahead >= 15 * 60_000 && ahead < 15 * 60_000 + 60_000, `${put.body.nextRunAt}`);

    const off = await admin.request<any>('PUT', '/api/admin/sync/config', { ...put.body, enabled: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.nextRunAt, null);
    assert.equal(off.body.enabled, false);
  });

  it('monthly on the 28th at 23:59', async () => {
    const put = await admin.request<any>('PUT', '/api/admin/sync/config', { ...weeklyAt(0, '23:59'), mode: 'monthly', dayOfMonth: 28 });
    assert.equal(put.status, 200);
    assert.deepEqual(wallClock(put.body.nextRunAt, serverZone).day, 28);
    assert.equal(wallClock(put.body.nextRunAt, serverZone).time, '23:59');
  });

  it('refuses an interval that is not offered, naming the field and the allowed values', async () => {
    const response = await admin.request<any>('PUT', '/api/admin/sync/config', { ...weeklyAt(0, '02:00'), mode: 'interval', intervalMinutes: 45 });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'VALIDATION_FAILED');
    assert.equal(response.body.error.fields[0].path, 'intervalMinutes');
    assert.match(response.body.error.message, /intervalMinutes: Choose one of 15, 30, 60, 120, 240, 480, 720, 1440 minutes/);
  });

  it('refuses a bad time, a day of the month past 28, a day of the week past 6, a missing field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...weeklyAt(0, '24:00') }, 'time'],
      [{ ...weeklyAt(0, '2:00') }, 'time'],
      [{ ...weeklyAt(0, '02:00'), dayOfMonth: 29 }, 'dayOfMonth'],
      [{ ...weeklyAt(7, '02:00') }, 'dayOfWeek'],
      [{ ...weeklyAt(0, '02:00'), mode: 'hourly' }, 'mode'],
      [{ ...weeklyAt(0, '02:00'), enabled: undefined }, 'enabled'],
    ];
    for (const [body, field] of cases) {
      const response = await admin.request<any>('PUT', '/api/admin/sync/config', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.deepEqual(
        response.body.error.fields.map((entry: { path: string }) => entry.path),
        [field],
      );
    }
    // nothing refused was saved
    assert.equal((await admin.get('/api/admin/sync/config')).body.mode, 'monthly');
  });

  it('is for administrators only', async () => {
    const created = await admin.post('/api/admin/users', { username: 'alice' });
    const alice = test.client();
    assert.equal((await alice.post('/api/activate', { token: created.body.activationToken, password: 'alice password 1' })).status, 200);
    assert.equal((await alice.post('/api/auth/login', { username: 'alice', password: 'alice password 1' })).status, 200);
    assert.equal((await alice.get('/api/admin/sync/config')).status, 403);
    const put = await alice.request<any>('PUT', '/api/admin/sync/config', weeklyAt(1, '09:00'));
    assert.equal(put.status, 403);
    assert.equal(put.body.error.code, 'FORBIDDEN');
    // the check comes before the body's: a user learns nothing of the fields
    assert.equal((await alice.request<any>('PUT', '/api/admin/sync/config', { intervalMinutes: 45 })).status, 403);
    assert.equal((await test.client().get('/api/admin/sync/config')).status, 401);
    assert.equal((await admin.get('/api/admin/sync/config')).body.mode, 'monthly');
  });

  it('survives a restart', async () => {
    const saved = (await admin.get('/api/admin/sync/config')).body;
    await test.stop();
    test = await startTestServer({ dataDir: test.dataDir });
    admin = test.client();
    assert.equal((await admin.post('/api/auth/login', { username: 'admin', password: 'correct horse battery' })).status, 200);
    assert.deepEqual((await admin.get('/api/admin/sync/config')).body, saved);
  });
});

interface ZoneCase {
  /** The scheduler's clock when the schedule is saved; null for the real clock. */
  now: string | null;
  body: Record<string, unknown>;
}

/**
 * A whole server in a child process with TZ set, driven through the real
 * API: the process time zone is the one schedules are read in. The
 * scheduler's clock is set per case, to put a save on a DST night.
 */
function schedulesInZone(timeZone: string, cases: ZoneCase[]): Promise<{ timeZone: string; nextRunAt: string; savedAt: number }[]> {
  const script = `
    import { setUpServer, startTestServer } from './test/helpers/test-server.ts';
    let clock = null;
    const test = await startTestServer({ serverOptions: { scheduler: { now: () => (clock === null ? new Date() : new Date(clock)) } } });
    try {
      const { admin } = await setUpServer(test);
      const results = [];
      for (const { now, body } of ${JSON.stringify(cases)}) {
        clock = now === null ? null : Date.parse(now);
        const savedAt = clock ?? Date.now();
        const put = await admin.request('PUT', '/api/admin/sync/config', body);
        if (put.status !== 200) throw new Error(JSON.stringify(put.body));
        results.push({ timeZone: put.body.timeZone, nextRunAt: put.body.nextRunAt, savedAt });
      }
      process.stdout.write(JSON.stringify(results));
    } finally {
      await test.stop();
    }
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, TZ: timeZone },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`child in ${timeZone} exited ${code}: ${stderr}`))));
  });
}

const dailyAt = (time: string) => ({ ...weeklyAt(0, time), mode: 'daily' });

/** Per zone: saves on DST nights (expected instants worked out by hand), then weekly Wednesday 14:30 on the real clock. */
const ZONE_CASES: Record<string, [ZoneCase, string][]> = {
  'America/New_York': [
    [{ now: '2025-03-08T08:00:00Z', body: dailyAt('02:30') }, '2025-03-09T07:00:00.000Z'], // 02:30 is skipped: 03:00 EDT
    [{ now: '2025-11-01T12:00:00Z', body: dailyAt('01:30') }, '2025-11-02T05:30:00.000Z'], // the first 01:30 (EDT)
    [{ now: '2025-11-02T06:00:00Z', body: dailyAt('01:30') }, '2025-11-03T06:30:00.000Z'], // between the two 01:30s: not the second
  ],
  'Europe/Paris': [
    [{ now: '2025-03-29T12:00:00Z', body: dailyAt('02:30') }, '2025-03-30T01:00:00.000Z'], // 03:00 CEST
    [{ now: '2025-10-25T12:00:00Z', body: dailyAt('02:30') }, '2025-10-26T00:30:00.000Z'], // the first 02:30 (CEST)
    [{ now: '2025-10-26T01:00:00Z', body: dailyAt('02:30') }, '2025-10-27T01:30:00.000Z'],
  ],
  'Australia/Sydney': [
    [{ now: '2025-10-04T12:00:00Z', body: dailyAt('02:30') }, '2025-10-04T16:00:00.000Z'], // 03:00 AEDT
    [{ now: '2025-04-05T12:00:00Z', body: dailyAt('02:30') }, '2025-04-05T15:30:00.000Z'], // the first 02:30 (AEDT)
    [{ now: '2025-04-05T16:00:00Z', body: dailyAt('02:30') }, '2025-04-06T16:30:00.000Z'],
  ],
};

describe('sync schedule: the time zone of the server process (TZ)', () => {
  it('each server reads HH:MM in its own zone, across DST changes, no run skipped or doubled', async () => {
    const zones = Object.keys(ZONE_CASES);
    const results = await Promise.all(
      zones.map((zone) => schedulesInZone(zone, [...ZONE_CASES[zone]!.map(([zoneCase]) => zoneCase), { now: null, body: weeklyAt(3, '14:30') }])),
    );
    for (const [index, zone] of zones.entries()) {
      const zoneResults = results[index]!;
      for (const result of zoneResults) assert.equal(result.timeZone, zone);
      assert.deepEqual(
        zoneResults.slice(0, -1).map((result) => result.nextRunAt),
        ZONE_CASES[zone]!.map(([, expected]) => expected),
        zone,
      );
      const weekly = zoneResults.at(-1)!;
      assertWeeklySlot(weekly.nextRunAt, zone, 3, '14:30', weekly.savedAt);
    }
    // the same weekly schedule is a different instant in each zone
    assert.equal(new Set(results.map((zoneResults) => zoneResults.at(-1)!.nextRunAt)).size, zones.length);
  });
});
