import type { RestoreFileError, RestoreJob } from '../api/types';
import { displayKeyPath } from '../lib/file-names';
import { formatAbsolute, formatCount } from '../lib/format';
import { formatUtc } from '../lib/local-time';
import { Notice } from './Notice';

const NO_SNAPSHOT_AT = 'RESTORE_NO_SNAPSHOT_AT';

/** A user's part of the job without the shares AsOfReport already explains (no snapshot that old): said once, not twice. */
export function withoutTooOld<T extends { errors: RestoreFileError[]; errorCount: number }>(progress: T): T {
  const errors = progress.errors.filter((error) => error.code !== NO_SNAPSHOT_AT);
  return { ...progress, errors, errorCount: progress.errorCount - (progress.errors.length - errors.length) };
}

/** What a restore "as of" a time did beyond the files: the shares with no snapshot that old, and the newer files left in place. */
export function AsOfReport({ job }: { job: RestoreJob }) {
  if (job.at === null) return null;
  const tooOld = job.users.flatMap((user) => user.errors.filter((error) => error.code === NO_SNAPSHOT_AT).map((error) => ({ user: user.user, ...error })));
  return (
    <div className="space-y-3" data-testid="as-of-report">
      <p className="text-sm text-slate-800">
        As of <time dateTime={job.at}>{formatAbsolute(job.at)}</time> <span className="text-slate-600">({formatUtc(job.at)})</span>: each share from the peer&apos;s latest snapshot
        at or before that time.
      </p>
      {tooOld.length > 0 && (
        <Notice tone="warning" title={`${formatCount(tooOld.length, 'share')} not restored: the peer keeps no snapshot that old`}>
          <ul className="space-y-1">
            {tooOld.map((error) => (
              <li key={`${error.user}/${error.share}`}>{error.message}.</li>
            ))}
          </ul>
          <p className="mt-1">Choose a later time: the snapshots on the Restore page show how far back the peer&apos;s history goes, as its retention allows.</p>
        </Notice>
      )}
      {job.leftInPlaceCount > 0 && (
        <div className="space-y-1">
          <p className="text-sm text-slate-800">
            {formatCount(job.leftInPlaceCount, 'file')} made after that time {job.leftInPlaceCount === 1 ? 'was' : 'were'} left in place (not in the snapshot, so neither restored nor
            deleted):
          </p>
          <ul className="max-h-48 space-y-1 overflow-y-auto rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-900" aria-label="Files left in place">
            {job.leftInPlace.map((file) => (
              <li key={`${file.user}/${file.share}/${file.path}`} className="font-mono text-xs break-all">
                {file.user}/{file.share}/{displayKeyPath(file.path)}
              </li>
            ))}
            {job.leftInPlaceCount > job.leftInPlace.length && <li>… and {formatCount(job.leftInPlaceCount - job.leftInPlace.length)} more</li>}
          </ul>
        </div>
      )}
    </div>
  );
}
