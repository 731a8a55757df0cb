import type { ShareSync } from '../lib/use-share-sync';
import { formatBytes, formatCount, syncPhaseLabel } from '../lib/format';
import { CancelButton } from './CancelButton';
import { ErrorNotice, Notice } from './Notice';
import { SyncStatusBadge } from './StatusBadge';
import { SyncRunProgress } from './SyncRunProgress';

/** A share's syncs as they go: a bar per peer, then each run's result in words. */
export function ShareSyncPanel({ sync }: { sync: ShareSync }) {
  const running = sync.status?.running ?? [];
  const finished = (sync.status?.runs ?? []).filter((run) => run.status !== 'running');
  return (
    <div className="space-y-3" aria-live="polite">
      <ErrorNotice error={sync.error} title="Sync did not start" />
      {sync.refused.map((refusal) => (
        <Notice key={refusal.peerId} tone="warning" title={`Not synced to ${refusal.peerName}`}>
          {refusal.message}
        </Notice>
      ))}
      {running.map((run) => (
        <div key={run.logId} className="space-y-1 rounded-md border border-sky-200 bg-sky-50/50 p-3">
          <div className="flex flex-wrap items-start justify-between gap-2">
            <p className="text-sm font-medium text-slate-800">
              Syncing to {run.peer} — {syncPhaseLabel(run.phase)}
            </p>
            <CancelButton label={`Cancel the sync to ${run.peer}`} cancel={() => sync.cancel(run.logId)} />
          </div>
          <SyncRunProgress run={run} label={`Sync to ${run.peer}`} />
        </div>
      ))}
      {running.length === 0 &&
        finished.map((run) => (
          <div key={run.id} data-testid="sync-result" className={`rounded-md border p-3 text-sm ${resultColours(run)}`}>
            <div className="flex flex-wrap items-center gap-2">
              <SyncStatusBadge status={run.status} notBackedUp={run.notBackedUp} />
              <span className="font-medium text-slate-900">
                {run.status === 'success' ? `Synced to ${run.peer}` : run.status === 'cancelled' ? `Sync to ${run.peer} cancelled` : `Sync to ${run.peer} did not finish`}
              </span>
            </div>
            {run.status === 'success' ? (
              <p className="mt-1 text-slate-700">
                {run.fileCount === 0 ? 'Nothing had changed.' : `${formatCount(run.fileCount, 'file')} sent, ${formatBytes(run.bytesTransferred)}.`}
                {run.notBackedUp > 0 && run.error && <span className="mt-1 block text-amber-900">{run.error}</span>}
              </p>
            ) : (
              <div className="mt-1 space-y-0.5">
                {run.error && <p className="text-red-900">{run.error}</p>}
                {run.hint && <p className="text-red-900/90">{run.hint}</p>}
              </div>
            )}
          </div>
        ))}
    </div>
  );
}

/** Green only when everything went; amber when the run left files out; red when it did not finish. */
function resultColours(run: { status: string; notBackedUp: number }): string {
  if (run.status === 'cancelled') return 'border-slate-200 bg-slate-50';
  if (run.status !== 'success') return 'border-red-200 bg-red-50';
  return run.notBackedUp > 0 ? 'border-amber-200 bg-amber-50' : 'border-green-200 bg-green-50';
}
