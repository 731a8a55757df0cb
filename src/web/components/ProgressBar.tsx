import { formatBytes, formatCount, percent } from '../lib/format';

/** Files and bytes done of the total, as a bar and in words. */
export function ProgressBar({
  label,
  filesDone,
  filesTotal,
  bytesDone,
  bytesTotal,
  pace,
}: {
  label: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Speed and time left, in words (a running sync's). */
  pace?: string | null;
}) {
  // bytes say more about time left than files do; a run with no bytes to send counts by files
  const value = bytesTotal > 0 ? percent(bytesDone, bytesTotal) : percent(filesDone, filesTotal);
  return (
    <div className="space-y-1">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={`${value} %`}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div className="h-full rounded-full bg-teal-600 transition-[width] duration-500" style={{ width: `${value}%` }} />
      </div>
      <p className="text-xs text-slate-600">
        {value} % · {formatCount(filesDone)} of {formatCount(filesTotal, 'file')} · {formatBytes(bytesDone)} of {formatBytes(bytesTotal)}
        {pace ? ` · ${pace}` : ''}
      </p>
    </div>
  );
}
