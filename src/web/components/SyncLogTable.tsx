import { useState } from 'react';
import { syncApi } from '../api/client';
import type { SyncLog, SyncLogDetail } from '../api/types';
import { formatBytes, formatCount, formatDuration } from '../lib/format';
import { heldGuardOf } from '../lib/held-plans';
import { Button } from './Button';
import { SyncStatusBadge } from './StatusBadge';
import { Table } from './Table';
import { RelativeTime } from './Time';

/** A log row; `foldedRuns` > 1 when it stands for that many runs of a day that changed nothing (fold=quiet). */
export type LogRow = SyncLog & { foldedRuns?: number; filesDeleted?: number };

const folded = (log: LogRow) => (log.foldedRuns ?? 1) > 1;

/** Sync logs: who, where, when, how it ended, what it moved, and what went wrong with what to do. */
export function SyncLogTable({
  logs,
  onConfirmHeld,
  onOpenRun,
}: {
  logs: LogRow[];
  onConfirmHeld?: (log: SyncLog) => void;
  /** Shows the files a run sent, deleted and skipped. */
  onOpenRun?: (log: LogRow) => void;
}) {
  return (
    <Table
      caption="Sync logs"
      rows={logs}
      rowKey={(log) => log.id}
      columns={[
        { label: 'Started', cell: (log) => <RelativeTime iso={log.startedAt} /> },
        {
          label: 'Share → peer',
          cell: (log) => (
            <span>
              <span className="font-medium text-slate-900">
                {log.user}/{log.share}
              </span>{' '}
              → {log.peer}
            </span>
          ),
        },
        {
          label: 'Status',
          cell: (log) =>
            folded(log) ? (
              <span className="text-slate-600">{`${formatCount(log.foldedRuns ?? 1, 'run')}, nothing changed`}</span>
            ) : (
              <span className="inline-flex items-center gap-1.5">
                <SyncStatusBadge status={log.status} notBackedUp={log.notBackedUp} />
                {/* the automatic retries of a failed scheduled run: which one this row is */}
                {log.attempt > 1 && <span className="text-xs text-slate-600">retry {log.attempt - 1}</span>}
              </span>
            ),
        },
        { label: 'Files', align: 'right', cell: (log) => formatCount(log.fileCount) },
        { label: 'Sent', align: 'right', cell: (log) => formatBytes(log.bytesTransferred) },
        { label: 'Took', align: 'right', cell: (log) => (folded(log) ? '—' : formatDuration(log.startedAt, log.finishedAt)) },
        {
          label: 'Error',
          cell: (log) =>
            log.error ? (
              <div className="max-w-md space-y-0.5 text-left">
                <p className={log.status === 'success' ? 'text-amber-900' : 'text-red-800'}>{log.error}</p>
                {log.hint && <p className="text-xs text-slate-600">{log.hint}</p>}
                {log.notBackedUp > 0 && <NotBackedUpList log={log} />}
                {heldGuardOf(log.errorCode) && onConfirmHeld && (
                  <Button size="sm" variant="secondary" onClick={() => onConfirmHeld(log)}>
                    {heldGuardOf(log.errorCode)?.button ?? ''}
                  </Button>
                )}
              </div>
            ) : (
              <span className="text-slate-500">—</span>
            ),
        },
        ...(onOpenRun
          ? [
              {
                label: 'Details',
                bare: true,
                align: 'right' as const,
                cell: (log: LogRow) =>
                  folded(log) || log.status === 'running' ? null : (
                    <Button size="sm" variant="secondary" onClick={() => onOpenRun(log)} aria-label={`Files of the run of ${log.user}/${log.share} to ${log.peer}`}>
                      Files
                    </Button>
                  ),
              },
            ]
          : []),
      ]}
    />
  );
}

/** The files a run left out, each with why, loaded when asked for. */
function NotBackedUpList({ log }: { log: SyncLog }) {
  const [detail, setDetail] = useState<SyncLogDetail>();
  const [failed, setFailed] = useState<string>();
  if (!detail) {
    return (
      <div>
        <Button size="sm" variant="secondary" onClick={() => syncApi.log(log.id).then(setDetail, (error: Error) => setFailed(error.message))}>
          {`Show the ${formatCount(log.notBackedUp, 'file')} not backed up`}
        </Button>
        {failed && <p className="text-xs text-red-800">{failed}</p>}
      </div>
    );
  }
  const unlisted = log.notBackedUp - detail.notBackedUpFiles.length;
  return (
    <ul className="list-disc pl-5 text-xs text-slate-700" aria-label="Files not backed up">
      {detail.notBackedUpFiles.map((file) => (
        <li key={file.key}>
          <span className="font-mono">{file.path}</span>: {file.reason}
        </li>
      ))}
      {unlisted > 0 && <li>{`and ${formatCount(unlisted, 'more file')}`}</li>}
    </ul>
  );
}
