import type { SyncProgress } from '../api/types';
import { formatSyncPace, syncPhaseLabel } from '../lib/format';
import { EmptyState } from './Card';
import { ProgressBar } from './ProgressBar';
import { RelativeTime } from './Time';

export function RunningSyncList({ running }: { running: SyncProgress[] }) {
  if (running.length === 0) return <EmptyState>No sync is running.</EmptyState>;
  return (
    <ul className="space-y-4">
      {running.map((run) => (
        <li key={run.logId} className="space-y-1">
          <p className="text-sm text-slate-800">
            <span className="font-medium">
              {run.user}/{run.share}
            </span>{' '}
            → {run.peer} · {syncPhaseLabel(run.phase)} · started <RelativeTime iso={run.startedAt} />
          </p>
          <ProgressBar label={`Sync of ${run.user}/${run.share} to ${run.peer}`} filesDone={run.filesDone} filesTotal={run.filesTotal} bytesDone={run.bytesDone} bytesTotal={run.bytesTotal}
            pace={formatSyncPace(run.bytesPerSecond, run.etaSeconds)}
          />
        </li>
      ))}
    </ul>
  );
}
