/** Sizes, counts and dates as people read them. */

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.5 KiB"; 1 → "1 byte". Binary units, as `du -h` and file managers use. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

const countFormat = new Intl.NumberFormat();

/** 1234 → "1,234" (in the reader's locale); with a noun, "1 file" / "3 files". */
export function formatCount(count: number, noun?: string, plural = `${noun ?? ''}s`): string {
  const text = countFormat.format(count);
  if (noun === undefined) return text;
  return `${text} ${count === 1 ? noun : plural}`;
}

const absoluteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** The date and time in the reader's locale and time zone (or the one given): "12 Mar 2025, 14:05". */
export function formatAbsolute(iso: string | Date, timeZone?: string): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return '—';
  if (timeZone) {
    try {
      return new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone }).format(date);
    } catch {
      // a zone this browser does not know: the reader's own
    }
  }
  return absoluteFormat.format(date);
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.345],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "3 minutes ago", "in 2 hours", "now". */
export function formatRelative(iso: string | Date, now: Date = new Date()): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return '—';
  let value = (date.getTime() - now.getTime()) / 1000;
  if (Math.abs(value) < 5) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relativeFormat.format(Math.round(value), unit);
    value /= size;
  }
  return absoluteFormat.format(date);
}

/** A duration between two instants: "4 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(fromIso: string, toIso: string | null, now: Date = new Date()): string {
  const end = toIso ? new Date(toIso) : now;
  return formatSeconds((end.getTime() - new Date(fromIso).getTime()) / 1000);
}

/** A number of seconds: "4 s", "2 min 5 s", "1 h 3 min". */
export function formatSeconds(duration: number): string {
  const seconds = Math.max(0, Math.round(duration));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * A running sync's pace: "1.2 MiB/s · about 3 min 10 s left"; "no bytes
 * moving" when the link is silent; null before a rate is known.
 */
export function formatSyncPace(bytesPerSecond: number | null, etaSeconds: number | null): string | null {
  if (bytesPerSecond === null) return null;
  if (bytesPerSecond === 0) return 'no bytes moving';
  const speed = `${formatBytes(bytesPerSecond)}/s`;
  return etaSeconds === null ? speed : `${speed} · about ${formatSeconds(etaSeconds)} left`;
}

/** 0.4567 → "46 %"; a total of zero counts as done. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.max(0, Math.round((done / total) * 100)));
}

const SYNC_PHASES: Record<string, string> = {
  connecting: 'Connecting to the peer',
  scanning: 'Looking for changed files',
  planning: 'Comparing with the backup on the peer',
  uploading: 'Encrypting and sending',
  finishing: 'Finishing',
};

/** What a running sync is doing, in words. */
export function syncPhaseLabel(phase: string): string {
  return SYNC_PHASES[phase] ?? phase;
}
