import type { Problem, RestoreFileError, RestoreJobStatus } from '../api/types';
import { displayKeyPath } from '../lib/file-names';
import { formatCount } from '../lib/format';
import { ProgressBar } from './ProgressBar';
import { Badge, type Tone } from './StatusBadge';

const STATUS: Record<RestoreJobStatus, [Tone, string]> = {
  running: ['busy', 'Restoring'],
  success: ['good', 'Restored'],
  partial: ['warn', 'Partly restored'],
  failure: ['bad', 'Failed'],
};

export function RestoreStatusBadge({ status }: { status: RestoreJobStatus }) {
  const [tone, text] = STATUS[status];
  return <Badge tone={tone}>{text}</Badge>;
}

/** A restore's progress, its end, and the files that could not be restored with why. */
export function RestoreJobPanel({
  label,
  job,
}: {
  label: string;
  job: { status?: RestoreJobStatus; filesDone: number; filesTotal: number; filesFailed: number; bytesDone: number; bytesTotal: number; error: Problem | null; errors?: RestoreFileError[]; errorCount?: number };
}) {
  return (
    <div className="space-y-2" data-testid="restore-job" data-status={job.status}>
      <div className="flex flex-wrap items-center gap-2">
        {job.status && <RestoreStatusBadge status={job.status} />}
        <span className="text-sm text-slate-800">{label}</span>
      </div>
      <ProgressBar label={label} filesDone={job.filesDone} filesTotal={job.filesTotal} bytesDone={job.bytesDone} bytesTotal={job.bytesTotal} />
      {job.filesFailed > 0 && <p className="text-sm text-amber-900">{formatCount(job.filesFailed, 'file')} could not be restored.</p>}
      {job.error && (
        <div className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
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
