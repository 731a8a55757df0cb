import { useState } from 'react';
import { peersApi, syncApi, usersApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { SyncLog, SyncStarted } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { Card, EmptyState, PageHeader } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Notice } from '../components/Notice';
import { RunningSyncList } from '../components/RunningSyncList';
import { ScheduleForm } from '../components/ScheduleForm';
import { NO_FILTERS, SyncLogFilters, type SyncLogFilterValues } from '../components/SyncLogFilters';
import { type LogRow, SyncLogTable } from '../components/SyncLogTable';
import { Pager } from '../components/Pager';
import { SyncRunFiles } from '../components/SyncRunFiles';
import { heldGuardOf } from '../lib/held-plans';
import { formatCount } from '../lib/format';
import { asApiError, useLoad } from '../lib/hooks';

function ForceSyncCard({ onStarted }: { onStarted(): void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<SyncStarted>();
  const [error, setError] = useState<ApiError>();

  const force = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await syncApi.force());
      onStarted();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Force Sync" labelId="force-sync" description="Sync every backup share to every enabled peer now, checking what each peer really stores.">
      <div className="space-y-3">
        <Button onClick={() => void force()} busy={busy}>
          Force Sync now
        </Button>
        <ErrorNotice error={error} />
        {result && (
          <Notice tone={result.started.length > 0 ? 'success' : 'warning'} title={`${formatCount(result.started.length, 'sync')} started`}>
            {result.refused.length > 0 && (
              <ul className="list-disc pl-5">
                {result.refused.map((refusal) => (
                  <li key={`${refusal.shareId}-${refusal.peerId}`}>
                    {refusal.peerName}: {refusal.message}
                  </li>
                ))}
              </ul>
            )}
          </Notice>
        )}
      </div>
    </Card>
  );
}

/** Running a sync again with a guard's hold lifted (mass deletion, ransomware tripwire), once an administrator agrees. */
function useConfirmHeld(onStarted: () => void) {
  const [log, setLog] = useState<SyncLog>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const confirm = async () => {
    if (!log) return;
    setBusy(true);
    setError(undefined);
    try {
      // bound to this very run: a later run held again needs its own confirmation
      await syncApi.confirmDeletions({ logId: log.id });
      setLog(undefined);
      onStarted();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return { log, ask: setLog, busy, error, confirm, cancel: () => (setLog(undefined), setError(undefined)) };
}

const LOG_PAGE_SIZE = 20;

/** Synchronization: the schedule, Force Sync, the syncs running now, and the logs. */
export function SyncPage() {
  const schedule = useLoad(syncApi.config);
  const [filters, setFilters] = useState<SyncLogFilterValues>(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [openRun, setOpenRun] = useState<LogRow>();
  const running = useLoad(syncApi.running, { pollMs: 1500 });
  const users = useLoad(usersApi.list);
  const peers = useLoad(peersApi.list);
  const logs = useLoad(
    () =>
      syncApi.logPage({
        limit: LOG_PAGE_SIZE,
        offset,
        status: filters.status || undefined,
        user: filters.user || undefined,
        share: filters.share || undefined,
        peer: filters.peer || undefined,
        fold: filters.foldQuiet ? 'quiet' : undefined,
      }),
    // the first page follows new runs; an older page stays as it was read
    { pollMs: offset === 0 ? 5000 : undefined, deps: [filters, offset] },
  );
  const filtered = filters.status !== '' || filters.user !== '' || filters.share !== '' || filters.peer !== '';
  const refresh = () => {
    void running.reload();
    void logs.reload();
  };
  const held = useConfirmHeld(refresh);
  const guard = heldGuardOf(held.log?.errorCode);

  return (
    <>
      <PageHeader title="Synchronization" description="When backups are sent to the peers, what is running now, and how each sync ended." />
      <div className="space-y-6">
        <div className="grid gap-6 lg:grid-cols-[3fr_2fr]">
          <Card title="Automatic sync" labelId="schedule">
            <ErrorNotice error={schedule.error} />
            {schedule.loading && !schedule.data && <Spinner label="Loading the schedule…" />}
            {schedule.data && <ScheduleForm initial={schedule.data} />}
          </Card>
          <div className="space-y-6">
            <ForceSyncCard onStarted={refresh} />
            <Card title="Running now" labelId="running">
              <ErrorNotice error={running.error} />
              {running.data && <RunningSyncList running={running.data} onCancelled={refresh} />}
            </Card>
          </div>
        </div>
        {openRun && <SyncRunFiles run={openRun} onClose={() => setOpenRun(undefined)} />}
        <Card title="Sync logs" labelId="sync-logs" description="Every run kept, newest first.">
          <div className="space-y-4">
            <SyncLogFilters
              value={filters}
              onChange={(next) => {
                setFilters(next);
                setOffset(0);
              }}
              users={users.data ?? []}
              peers={peers.data ?? []}
            />
            <ErrorNotice error={logs.error} />
            {logs.loading && !logs.data && <Spinner label="Loading logs…" />}
            {logs.data?.total === 0 && <EmptyState>No sync has run{filtered ? ' with these filters' : ''} yet.</EmptyState>}
            {logs.data && logs.data.logs.length > 0 && (
              <>
                <SyncLogTable logs={logs.data.logs} onConfirmHeld={held.ask} onOpenRun={setOpenRun} />
                <Pager offset={logs.data.offset} shown={logs.data.logs.length} total={logs.data.total} pageSize={LOG_PAGE_SIZE} onOffset={setOffset} />
              </>
            )}
          </div>
        </Card>
      </div>
      <ConfirmDialog
        open={held.log !== undefined}
        title={guard?.title ?? ''}
        confirmLabel={guard?.confirmLabel ?? ''}
        busy={held.busy}
        error={held.error}
        onConfirm={() => void held.confirm()}
        onCancel={held.cancel}
      >
        <p>
          The sync of {held.log?.user}/{held.log?.share} to {held.log?.peer} was stopped: {held.log?.error}
        </p>
        <p>{guard?.advice}</p>
      </ConfirmDialog>
    </>
  );
}
