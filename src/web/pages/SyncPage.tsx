import { useState } from 'react';
import { syncApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { SyncLog, SyncStarted, SyncStatus } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { Card, EmptyState, PageHeader } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { SelectField } from '../components/Field';
import { ErrorNotice, Notice } from '../components/Notice';
import { RunningSyncList } from '../components/RunningSyncList';
import { ScheduleForm } from '../components/ScheduleForm';
import { SyncLogTable } from '../components/SyncLogTable';
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

const STATUS_FILTERS: { value: '' | SyncStatus; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'running', label: 'Running' },
  { value: 'success', label: 'Success' },
  { value: 'failure', label: 'Failed' },
  { value: 'interrupted', label: 'Interrupted' },
];

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

/** Synchronization: the schedule, Force Sync, the syncs running now, and the logs. */
export function SyncPage() {
  const schedule = useLoad(syncApi.config);
  const [status, setStatus] = useState<'' | SyncStatus>('');
  const running = useLoad(syncApi.running, { pollMs: 1500 });
  const logs = useLoad(() => syncApi.logs({ limit: 100, status: status || undefined }), { pollMs: 3000, deps: [status] });
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
        <Card
          title="Sync logs"
          labelId="sync-logs"
          description="The latest 100 runs, newest first."
          actions={
            <div className="w-40">
              <SelectField label="Status" value={status} onChange={(event) => setStatus(event.target.value as '' | SyncStatus)}>
                {STATUS_FILTERS.map((filter) => (
                  <option key={filter.value} value={filter.value}>
                    {filter.label}
                  </option>
                ))}
              </SelectField>
            </div>
          }
        >
          <ErrorNotice error={logs.error} />
          {logs.loading && !logs.data && <Spinner label="Loading logs…" />}
          {logs.data?.length === 0 && <EmptyState>No sync has run{status ? ' with this status' : ''} yet.</EmptyState>}
          {logs.data && logs.data.length > 0 && <SyncLogTable logs={logs.data} onConfirmHeld={held.ask} />}
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
