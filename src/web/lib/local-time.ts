/**
 * The "as of" field of Admin restore is a `datetime-local` input: a wall
 * clock time with no zone. It is read in the browser's time zone, and the
 * page says which zone that is and what the time is in UTC, so nobody
 * restores an hour off.
 */

/** An ISO instant for a `datetime-local` value (read in this browser's zone), or undefined when it is not a time. */
export function instantOfLocalInput(value: string): string | undefined {
  // "YYYY-MM-DDTHH:MM" or with ":SS": without an offset, Date reads it as local time
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The browser's zone as a person reads it, "Europe/Paris (UTC+01:00)", with the offset at `at` (it changes with daylight saving). */
export function browserZoneLabel(at: Date = new Date()): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const minutes = -at.getTimezoneOffset();
  const sign = minutes < 0 ? '−' : '+';
  const hours = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
  const rest = String(Math.abs(minutes) % 60).padStart(2, '0');
  return `${zone} (UTC${sign}${hours}:${rest})`;
}

/** An instant in UTC, to the second: "2026-12-04 20:30:15 UTC". */
export function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A `datetime-local` value for `date` in this browser's zone, to the second (the field's maximum: now). */
export function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
