import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uploadLimitAt, uploadWindowsSchema, type UploadWindow } from './upload-limit.js';

/** A local time: 2026-12-07 is a Monday. */
function at(day: number, time: string): Date {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return new Date(2026, 11, 6 + day, hours, minutes);
}
const SUN = 0;
const MON = 1;
const TUE = 2;
const SAT = 6;

const weekdaysDaytime: UploadWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '23:00', mode: 'limit', limitKiBps: 2048 };

describe('upload limit timetable', () => {
  it('applies the base limit outside every window, and none when the base is null', () => {
    assert.deepEqual(uploadLimitAt(500, [weekdaysDaytime], at(SAT, '12:00')), { kind: 'limit', bytesPerSecond: 500 * 1024 });
    assert.deepEqual(uploadLimitAt(null, [weekdaysDaytime], at(MON, '07:59')), { kind: 'unlimited' });
  });

  it('applies a window from its start (inclusive) to its end (exclusive) on its days', () => {
    assert.deepEqual(uploadLimitAt(null, [weekdaysDaytime], at(MON, '08:00')), { kind: 'limit', bytesPerSecond: 2048 * 1024 });
    assert.deepEqual(uploadLimitAt(null, [weekdaysDaytime], at(TUE, '22:59')), { kind: 'limit', bytesPerSecond: 2048 * 1024 });
    assert.deepEqual(uploadLimitAt(null, [weekdaysDaytime], at(TUE, '23:00')), { kind: 'unlimited' });
    assert.deepEqual(uploadLimitAt(null, [weekdaysDaytime], at(SUN, '12:00')), { kind: 'unlimited' });
  });

  it('runs a window that ends before it starts past midnight into the next day', () => {
    const night: UploadWindow = { days: ['sat'], start: '22:00', end: '06:00', mode: 'unlimited' };
    assert.deepEqual(uploadLimitAt(100, [night], at(SAT, '23:30')), { kind: 'unlimited' });
    assert.deepEqual(uploadLimitAt(100, [night], at(SUN, '05:59')), { kind: 'unlimited' });
    assert.deepEqual(uploadLimitAt(100, [night], at(SUN, '06:00')), { kind: 'limit', bytesPerSecond: 100 * 1024 });
    assert.deepEqual(uploadLimitAt(100, [night], at(SAT, '05:00')), { kind: 'limit', bytesPerSecond: 100 * 1024 });
  });

  it('lets the first window that covers a moment decide', () => {
    const paused: UploadWindow = { days: ['mon'], start: '18:00', end: '21:00', mode: 'paused' };
    const limit = uploadLimitAt(null, [paused, weekdaysDaytime], at(MON, '19:00'));
    assert.equal(limit.kind, 'paused');
    assert.deepEqual(uploadLimitAt(null, [weekdaysDaytime, paused], at(MON, '19:00')), { kind: 'limit', bytesPerSecond: 2048 * 1024 });
  });

  it('says when a pause ends, across adjoining paused windows', () => {
    const evening: UploadWindow = { days: ['mon'], start: '18:00', end: '21:00', mode: 'paused' };
    const late: UploadWindow = { days: ['mon'], start: '21:00', end: '22:30', mode: 'paused' };
    assert.deepEqual(uploadLimitAt(null, [evening, late], at(MON, '19:15')), { kind: 'paused', until: at(MON, '22:30') });
    const always: UploadWindow = { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '23:59', mode: 'paused' };
    const allMinutes: UploadWindow = { ...always, start: '23:59', end: '00:00' };
    assert.deepEqual(uploadLimitAt(null, [always, allMinutes], at(TUE, '10:00')), { kind: 'paused', until: null });
  });

  it('refuses windows a person could not have meant', () => {
    const problems = (windows: unknown) => uploadWindowsSchema.safeParse(windows).error?.issues.map((issue) => issue.message) ?? [];
    assert.deepEqual(problems([{ days: [], start: '08:00', end: '09:00', mode: 'unlimited' }]), ['Choose at least one day']);
    assert.deepEqual(problems([{ days: ['mon'], start: '8:00', end: '09:00', mode: 'unlimited' }]), ['Use a time as HH:MM, from 00:00 to 23:59']);
    assert.deepEqual(problems([{ days: ['mon'], start: '08:00', end: '09:00', mode: 'limit' }]), ['Give the limit in KiB/s for a "limit" window']);
    assert.deepEqual(problems([{ days: ['mon'], start: '08:00', end: '08:00', mode: 'paused' }]), ['The window must end at another time than it starts']);
    assert.deepEqual(problems([{ days: ['mon'], start: '08:00', end: '09:00', mode: 'limit', limitKiBps: 0 }]).length, 1);
    assert.deepEqual(uploadWindowsSchema.parse([{ days: ['fri', 'mon', 'fri'], start: '08:00', end: '09:00', mode: 'paused' }])[0]?.days, ['mon', 'fri']);
  });
});
