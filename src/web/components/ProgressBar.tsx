import { formatBytes, formatCount, percent } from '../lib/format';

/** How the work the bar follows stands: a bar is full only when it is done, never because there was nothing to count yet. */
export type ProgressState = 'running' | 'done' | 'failed' | 'cancelled';

const FILL: Record<ProgressState, string> = {
  running: 'bg-teal-600',
  done: 'bg-teal-600',
  failed: 'bg-red-600',
  cancelled: 'bg-slate-500',
};

/** Files and bytes done of the total, as a bar and in words; an indeterminate bar while nothing can be counted yet. */
export function ProgressBar({
  label,
  filesDone,
  filesTotal,
  bytesDone,
  bytesTotal,
  pace,
  state = 'running',
  indeterminate,
}: {
  label: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Speed and time left, in words (a running sync's). */
  pace?: string | null;
  state?: ProgressState;
  /** While the totals are not known (connecting, comparing with the peer): what is happening, and no percentage. */
  indeterminate?: string | undefined;
}) {
  if (indeterminate !== undefined && state === 'running') {
    return (
      <div className="space-y-1" data-testid="progress-indeterminate">
        <div role="progressbar" aria-label={label} aria-valuetext={indeterminate} className="relative h-2 w-full overflow-hidden rounded-full bg-slate-200">
          <div className="progress-indeterminate absolute inset-y-0 w-1/3 rounded-full bg-teal-600/70" />
        </div>
        <p className="text-xs text-slate-600">{indeterminate}</p>
      </div>
    );
  }
  const value = progressPercent({ filesDone, filesTotal, bytesDone, bytesTotal }, state);
  return (
    <div className="space-y-1">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={`${value} %`}
        data-state={state}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div className={`h-full rounded-full ${FILL[state]} transition-[width] duration-500`} style={{ width: `${value}%` }} />
      </div>
      <p className="text-xs text-slate-600">
        {value} % · {formatCount(filesDone)} of {formatCount(filesTotal, 'file')} · {formatBytes(bytesDone)} of {formatBytes(bytesTotal)}
        {pace ? ` · ${pace}` : ''}
      </p>
    </div>
  );
}

/**
 * Bytes say more about time left than files do; a run with no bytes to send
 * counts by files. Nothing to count is 100 % only once the work is done: a
 * failure before the totals were known is 0 %, not a full bar.
 */
export function progressPercent(counts: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number }, state: ProgressState): number {
  if (counts.bytesTotal > 0) return percent(counts.bytesDone, counts.bytesTotal);
  if (counts.filesTotal > 0) return percent(counts.filesDone, counts.filesTotal);
  return state === 'done' ? 100 : 0;
}
