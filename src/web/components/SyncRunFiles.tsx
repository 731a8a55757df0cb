import { useEffect, useRef, useState } from 'react';
import { syncApi } from '../api/client';
import type { SyncLog, SyncRunEntry } from '../api/types';
import { formatBytes, formatCount } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { Button, buttonClass, Spinner } from './Button';
import { Card } from './Card';
import { ErrorNotice } from './Notice';
import { Table } from './Table';
import { RelativeTime } from './Time';

/** Rows drawn at once: a first sync lists up to 10,000 files; the CSV holds them all. */
const SHOWN_AT_ONCE = 200;

const ACTION_LABELS: Record<SyncRunEntry['action'], string> = { sent: 'Sent', deleted: 'Deleted', skipped: 'Skipped' };

/** Why a run lists no file: it changed nothing, it did not finish, or its list was pruned. */
function emptyListWords(run: SyncLog, unlistedTotal: number): string {
  if (run.status !== 'success') return `Files are listed for runs that finished; this one stopped after sending ${formatCount(run.fileCount, 'file')}, and the next run sends the rest.`;
  return unlistedTotal > 0 ? 'The list of this run is no longer kept (lists are kept 90 days).' : 'This run sent, deleted and skipped nothing.';
}

/** One run opened: what it sent, deleted and skipped, and the list to download. */
export function SyncRunFiles({ run, onClose }: { run: SyncLog & { filesDeleted?: number }; onClose(): void }) {
  const entries = useLoad(() => syncApi.entries(run.id), { deps: [run.id] });
  const [shown, setShown] = useState(SHOWN_AT_ONCE);
  const heading = useRef<HTMLDivElement>(null);
  // opened from a row far below: bring it into view and give keyboard users their place
  useEffect(() => heading.current?.focus(), [run.id]);

  const list = entries.data?.entries ?? [];
  const unlisted = entries.data?.unlisted;
  const unlistedTotal = unlisted ? unlisted.sent + unlisted.deleted + unlisted.skipped : 0;
  return (
    <div ref={heading} tabIndex={-1} className="scroll-mt-4 focus:outline-none">
      <Card
        title={`Files of the run of ${run.user}/${run.share} to ${run.peer}`}
        labelId="sync-run-files"
        description={
          <>
            Started <RelativeTime iso={run.startedAt} />: {formatCount(run.fileCount, 'file')} sent, {formatCount(run.filesDeleted ?? 0, 'file')} deleted,{' '}
            {formatCount(run.notBackedUp, 'file')} skipped.
          </>
        }
        actions={
          <>
            <a className={buttonClass('secondary', 'sm')} href={syncApi.entriesCsvUrl(run.id)} download>
              Download the list (CSV)
            </a>
            <Button size="sm" variant="ghost" onClick={onClose}>
              Close
            </Button>
          </>
        }
      >
        <ErrorNotice error={entries.error} />
        {entries.loading && !entries.data && <Spinner label="Loading the files…" />}
        {entries.data && list.length === 0 && <p className="text-sm text-slate-600">{emptyListWords(run, unlistedTotal)}</p>}
        {list.length > 0 && (
          <Table
            caption={`Files of run ${run.id}`}
            rows={list.slice(0, shown)}
            rowKey={(entry) => `${entry.action}:${entry.key}`}
            columns={[
              { label: 'What', cell: (entry) => ACTION_LABELS[entry.action] },
              { label: 'Path', cell: (entry) => <span className="font-mono break-all">{entry.path}</span> },
              { label: 'Size', align: 'right', cell: (entry) => (entry.bytes === null ? '—' : formatBytes(entry.bytes)) },
              { label: 'Why', cell: (entry) => entry.reason ?? '' },
            ]}
          />
        )}
        <div className="mt-3 space-y-2 text-sm text-slate-700">
          {list.length > shown && (
            <Button size="sm" variant="secondary" onClick={() => setShown((count) => count + SHOWN_AT_ONCE * 5)}>
              {`Show more (${formatCount(list.length - shown, 'more file')} listed)`}
            </Button>
          )}
          {unlisted && unlistedTotal > 0 && list.length > 0 && (
            <p>{`And ${formatCount(unlistedTotal, 'more file')} not listed: lists keep the first 10,000 files sent and deleted and the first 1,000 skipped per run.`}</p>
          )}
        </div>
      </Card>
    </div>
  );
}
