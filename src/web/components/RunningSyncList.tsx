import { syncApi } from '../api/client';
import type { SyncProgress } from '../api/types';
import { syncPhaseLabel } from '../lib/format';
import { CancelButton } from './CancelButton';
import { EmptyState } from './Card';
import { SyncRunProgress } from './SyncRunProgress';
import { RelativeTime } from './Time';

/** The syncs running now, each with its progress and Cancel (an administrator's view); `onCancelled` refreshes the page. */
export function RunningSyncList({ running, onCancelled }: { running: SyncProgress[]; onCancelled?: () => void }) {
  if (running.length === 0) return <EmptyState>No sync is running.</EmptyState>;
  return (
    <ul className="space-y-4">
      {running.map((run) => (
        <li key={run.logId} className="space-y-1" data-testid="running-sync">
          <div className="flex flex-wrap items-start justify-between gap-2">
            <p className="text-sm text-slate-800">
              <span className="font-medium">
                {run.user}/{run.share}
              </span>{' '}
              → {run.peer} · {syncPhaseLabel(run.phase)} · started <RelativeTime iso={run.startedAt} />
            </p>
            <CancelButton label={`Cancel the sync of ${run.user}/${run.share} to ${run.peer}`} cancel={() => syncApi.cancel(run.logId)} {...(onCancelled ? { onDone: onCancelled } : {})} />
          </div>
          <SyncRunProgress run={run} label={`Sync of ${run.user}/${run.share} to ${run.peer}`} />
        </li>
      ))}
    </ul>
  );
}
