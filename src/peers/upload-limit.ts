/**
 * How fast this server may upload to one peer: a base limit and an optional
 * weekly timetable, in the spirit of rclone's `--bwlimit` timetable. A family
 * uplink is shared: "2 MB/s on weekdays 08:00–23:00, unlimited at night" or
 * "paused in the evening" keeps a first backup from saturating it for days.
 */

import { type UPLOAD_WINDOW_MODES, WEEKDAYS } from '../contract/peers.js';

export { WEEKDAYS };
export type Weekday = (typeof WEEKDAYS)[number];

/** What a window does while it is in force. */
export type UploadWindowMode = (typeof UPLOAD_WINDOW_MODES)[number];

export interface UploadWindow {
  days: Weekday[];
  /** Local time `HH:MM`, inclusive. */
  start: string;
  /** Local time `HH:MM`, exclusive; earlier than `start` means the window runs past midnight into the next day. */
  end: string;
  mode: UploadWindowMode;
  /** KiB per second, when `mode` is `limit`. */
  limitKiBps?: number | undefined;
}

/** The limit in force at one moment. */
export type UploadLimit = { kind: 'unlimited' } | { kind: 'paused'; until: Date | null } | { kind: 'limit'; bytesPerSecond: number };

// the limits a peer form sends are part of the API contract
export { MAX_UPLOAD_LIMIT_KIBPS, MAX_UPLOAD_WINDOWS, uploadLimitKiBpsSchema, uploadWindowSchema, uploadWindowsSchema } from '../contract/peers.js';

const MINUTES_PER_DAY = 24 * 60;

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

/** Whether `window` is in force at local weekday `day` and minute of day `minute`. */
function covers(window: UploadWindow, day: number, minute: number): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const on = (weekday: number) => window.days.includes(WEEKDAYS[(weekday + 7) % 7] as Weekday);
  if (start < end) return on(day) && minute >= start && minute < end;
  // past midnight: the evening of a listed day and the morning after it
  return (on(day) && minute >= start) || (on(day - 1) && minute < end);
}

/**
 * The limit in force at `at` (the server's local time): the first window
 * that covers it, else the base limit (`null`: unlimited). Pure, so the
 * timetable is tested without waiting for a Tuesday.
 */
export function uploadLimitAt(baseKiBps: number | null, windows: readonly UploadWindow[], at: Date): UploadLimit {
  const window = windowAt(windows, at);
  if (window === undefined) return baseKiBps === null ? { kind: 'unlimited' } : { kind: 'limit', bytesPerSecond: baseKiBps * 1024 };
  if (window.mode === 'unlimited') return { kind: 'unlimited' };
  if (window.mode === 'paused') return { kind: 'paused', until: pauseEnd(windows, at) };
  return { kind: 'limit', bytesPerSecond: (window.limitKiBps ?? 1) * 1024 };
}

function windowAt(windows: readonly UploadWindow[], at: Date): UploadWindow | undefined {
  const day = at.getDay();
  const minute = at.getHours() * 60 + at.getMinutes();
  return windows.find((window) => covers(window, day, minute));
}

/** The first minute within a week from `at` when no paused window is in force, or null if uploads are paused all week. */
function pauseEnd(windows: readonly UploadWindow[], at: Date): Date | null {
  const probe = new Date(at);
  probe.setSeconds(0, 0);
  for (let step = 0; step < 7 * MINUTES_PER_DAY; step += 1) {
    probe.setMinutes(probe.getMinutes() + 1);
    if (windowAt(windows, probe)?.mode !== 'paused') return new Date(probe);
  }
  return null;
}
