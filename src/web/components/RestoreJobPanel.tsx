import type { Problem, RestoreFileError, RestoreJobStatus } from '../api/types';
import { displayKeyPath } from '../lib/file-names';
import { formatCount } from '../lib/format';
import { CancelButton } from './CancelButton';
import { ProgressBar, type ProgressState } from './ProgressBar';
import { Badge, type Tone } from './StatusBadge';

const STATUS: Record<RestoreJobStatus, [Tone, string]> = {
  running: ['busy', 'Restoring'],
  success: ['good', 'Restored'],
  partial: ['warn', 'Partly restored'],
  failure: ['bad', 'Failed'],
  cancelled: ['neutral', 'Cancelled'],
};

export function RestoreStatusBadge({ status }: { status: RestoreJobStatus }) {
  const [tone, text] = STATUS[status];
  return <Badge tone={tone}>{text}</Badge>;
}

/** How the bar of a restore is drawn: full and teal only for a success; a failure shows what it restored, in red. */
const BAR_STATE: Record<RestoreJobStatus, ProgressState> = {
  running: 'running',
  success: 'done',
  partial: 'failed',
  failure: 'failed',
  cancelled: 'cancelled',
};

/** A restore's progress, its end, and the files that could not be restored with why. */
export function RestoreJobPanel({
  label,
  job,
  jobStatus,
  onCancel,
}: {
  label: string;
  job: { status?: RestoreJobStatus; filesDone: number; filesTotal: number; filesFailed: number; bytesDone: number; bytesTotal: number; error: Problem | null; errors?: RestoreFileError[]; errorCount?: number };
  /** The whole job's status, for a panel showing one part of it (a user of a bulk restore). */
  jobStatus?: RestoreJobStatus;
  /** Cancel, offered while the job runs. */
  onCancel?: () => Promise<unknown>;
}) {
  const status = job.status ?? jobStatus ?? 'running';
  return (
    <div className="space-y-2" data-testid="restore-job" data-status={job.status}>
      <div className="flex flex-wrap items-center gap-2">
        {job.status && <RestoreStatusBadge status={job.status} />}
        <span className="text-sm text-slate-800">{label}</span>
        {onCancel && status === 'running' && (
          <span className="ml-auto">
            <CancelButton label={`Cancel the restore ${label}`} cancel={onCancel} />
          </span>
        )}
      </div>
      <ProgressBar
        label={label}
        filesDone={job.filesDone}
        filesTotal={job.filesTotal}
        bytesDone={job.bytesDone}
        bytesTotal={job.bytesTotal}
        state={BAR_STATE[status]}
        indeterminate={job.filesTotal === 0 ? 'Reading the list of files in the backup…' : undefined}
      />
      {job.filesFailed > 0 && <p className="text-sm text-amber-900">{formatCount(job.filesFailed, 'file')} could not be restored.</p>}
      {job.error && (
        <div className={`rounded-md border p-3 text-sm ${status === 'cancelled' ? 'border-slate-200 bg-slate-50 text-slate-800' : 'border-red-200 bg-red-50 text-red-900'}`}>
          <p className="font-medium">{job.error.message}</p>
          <p>{job.error.hint}</p>
        </div>
      )}
      {job.errors && job.errors.length > 0 && (
        <ul className="max-h-48 space-y-1 overflow-y-auto rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-950">
          {job.errors.map((error) => (
            <li key={`${error.share}/${error.path}`}>
              <span className="font-mono text-xs">{error.path === '' ? error.share : `${error.share}/${displayKeyPath(error.path)}`}</span>
              : {error.message}
            </li>
          ))}
          {(job.errorCount ?? 0) > job.errors.length && <li>… and {formatCount((job.errorCount ?? 0) - job.errors.length)} more</li>}
        </ul>
      )}
    </div>
  );
}
