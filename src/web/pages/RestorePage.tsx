import { useState } from 'react';
import { restoreApi } from '../api/client';
import { type ApiError, errorFromText } from '../api/http';
import type { RestoreFile, RestoreSource } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { BackupBrowser, Breadcrumbs } from '../components/BackupBrowser';
import { Card, EmptyState, PageHeader } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { SelectField } from '../components/Field';
import { FileVersionsPanel } from '../components/FileVersionsPanel';
import { ErrorNotice, Notice } from '../components/Notice';
import { RestoreJobPanel } from '../components/RestoreJobPanel';
import { SnapshotPicker } from '../components/SnapshotPicker';
import { AbsoluteTime, RelativeTime } from '../components/Time';
import { downloadByForm } from '../lib/download';
import { formatBytes, formatCount, formatRelative } from '../lib/format';
import { asApiError, useLoad } from '../lib/hooks';
import { usePollJob } from '../lib/use-poll-job';

type Backup = Extract<RestoreSource, { share: string }>;
type Unreachable = Extract<RestoreSource, { error: unknown }>;

const backupKey = (backup: Backup) => `${backup.peerId}/${backup.share}`;

function describeBackup(backup: Backup): string {
  const synced = backup.lastSyncAt ? `, synced ${formatRelative(backup.lastSyncAt)}` : '';
  return `${backup.peerName} — ${backup.share} (${formatCount(backup.fileCount, 'file')}, ${formatBytes(backup.bytesUsed)}${synced})`;
}

/** Downloads the selection as a ZIP, and writes it back into the share. */
function SelectionBar({ backup, snapshot, selected, onClear }: { backup: Backup; snapshot: number | undefined; selected: string[]; onClear(): void }) {
  const [zipping, setZipping] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [restoreTarget, setRestoreTarget] = useState<'original' | 'folder'>();
  const [starting, setStarting] = useState(false);
  const [jobId, setJobId] = useState<string>();
  const { job, error: jobError } = usePollJob(jobId, restoreApi.job);

  // a form post, not fetch(): the browser streams the ZIP to disk with its own progress, however big
  const downloadZip = () => {
    setError(undefined);
    setZipping(true);
    const fields: Record<string, string> = { paths: JSON.stringify(selected), ...(snapshot === undefined ? {} : { snapshot: String(snapshot) }) };
    downloadByForm(restoreApi.zipAction(backup.peerId, backup.share), fields, (text) => setError(errorFromText(text)));
    // the page cannot see the download start: the button is busy only long enough to stop a double click
    setTimeout(() => setZipping(false), 1500);
  };

  const restore = async () => {
    if (!restoreTarget) return;
    setStarting(true);
    setError(undefined);
    try {
      setJobId((await restoreApi.intoShare(backup.peerId, backup.share, selected, restoreTarget, snapshot)).jobId);
      setRestoreTarget(undefined);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setStarting(false);
    }
  };

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2 rounded-md border border-teal-200 bg-teal-50 px-3 py-2">
        <span className="mr-auto text-sm font-medium text-teal-950" aria-live="polite">
          {selected.length === 0 ? 'Select files or folders to download several at once.' : `${formatCount(selected.length, 'item')} selected`}
        </span>
        <Button size="sm" onClick={downloadZip} busy={zipping} disabled={selected.length === 0}>
          Download as ZIP
        </Button>
        <Button size="sm" variant="secondary" onClick={() => setRestoreTarget('folder')} disabled={selected.length === 0}>
          Restore to my share…
        </Button>
        {selected.length > 0 && (
          <Button size="sm" variant="ghost" onClick={onClear}>
            Clear
          </Button>
        )}
      </div>
      <ErrorNotice error={error} />
      <ErrorNotice error={jobError} />
      {job && (
        <RestoreJobPanel
          label={job.targetFolder ? `Into ${job.targetShare}/${job.targetFolder}/ (never synced)` : `Into ${job.targetShare}, over the current files`}
          job={job}
          onCancel={() => restoreApi.cancelJob(job.id)}
        />
      )}
      <ConfirmDialog
        open={restoreTarget !== undefined}
        title={`Restore ${formatCount(selected.length, 'item')} from ${backup.share}?`}
        confirmLabel={restoreTarget === 'original' ? 'Restore and replace' : 'Restore'}
        busy={starting}
        error={error}
        onConfirm={() => void restore()}
        onCancel={() => setRestoreTarget(undefined)}
      >
        <fieldset className="space-y-2">
          <legend className="sr-only">Where to restore</legend>
          <label className="flex items-start gap-2">
            <input type="radio" name="target" className="mt-1 accent-teal-700" checked={restoreTarget === 'folder'} onChange={() => setRestoreTarget('folder')} />
            <span>
              <span className="font-medium text-slate-900">Into a new folder</span> — in your <strong>data</strong> share, under{' '}
              <code className="font-mono text-xs">data/restored-{todayText()}/</code>. Nothing is replaced, and the copies are not backed up again (data is never
              synced); move back into {backup.share} what you want backed up.
            </span>
          </label>
          <label className="flex items-start gap-2">
            <input type="radio" name="target" className="mt-1 accent-teal-700" checked={restoreTarget === 'original'} onChange={() => setRestoreTarget('original')} />
            <span>
              <span className="font-medium text-slate-900">Over the current files</span> — in your {backup.share} share: files with the same path are replaced by the
              backup&apos;s version.
            </span>
          </label>
        </fieldset>
      </ConfirmDialog>
    </div>
  );
}

/** Today's date as the server names the folder (`restored-YYYY-MM-DD`, its local date; the browser's is the same for a family at home). */
function todayText(): string {
  const now = new Date();
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function BackupExplorer({ backup }: { backup: Backup }) {
  const [path, setPath] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  // undefined: the latest state; a snapshot's id: the backup as it was then (the path and selection carry over)
  const [snapshot, setSnapshot] = useState<number>();
  const [versionsOf, setVersionsOf] = useState<RestoreFile>();
  const snapshots = useLoad(() => restoreApi.snapshots(backup.peerId, backup.share), { deps: [backup.peerId, backup.share] });
  const listing = useLoad(() => restoreApi.list(backup.peerId, backup.share, path, snapshot), { deps: [backup.peerId, backup.share, path, snapshot] });
  const open = (next: string) => {
    setPath(next);
    setVersionsOf(undefined);
  };

  const toggle = (paths: string[], checked: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      for (const item of paths) {
        if (checked) next.add(item);
        else next.delete(item);
      }
      return next;
    });

  return (
    <Card
      title="Files"
      labelId="restore-files"
      description={
        listing.data ? (
          <>
            {snapshot === undefined ? (
              <>
                Backup of <RelativeTime iso={listing.data.backedUpAt} />
              </>
            ) : (
              <>
                As it was on <AbsoluteTime iso={listing.data.backedUpAt} />
              </>
            )}{' '}
            on {listing.data.peerName}. Files are decrypted on this server as you download them.
          </>
        ) : undefined
      }
    >
      <div className="space-y-4">
        <ErrorNotice error={snapshots.error} />
        {snapshots.data && (
          <div className="max-w-md">
            <SnapshotPicker snapshots={snapshots.data} value={snapshot} onChange={setSnapshot} />
          </div>
        )}
        <Breadcrumbs share={backup.share} path={path} onOpen={open} />
        <SelectionBar backup={backup} snapshot={snapshot} selected={[...selected]} onClear={() => setSelected(new Set())} />
        {versionsOf && <FileVersionsPanel key={versionsOf.path} peerId={backup.peerId} share={backup.share} file={versionsOf} onClose={() => setVersionsOf(undefined)} />}
        <ErrorNotice error={listing.error} />
        {listing.loading && <Spinner label="Decrypting the file list…" />}
        {!listing.loading && listing.data && (
          <BackupBrowser listing={listing.data} selected={selected} onToggle={toggle} onOpen={open} snapshot={snapshot} onVersions={setVersionsOf} />
        )}
      </div>
    </Card>
  );
}

/**
 * A peer that did not answer: say so, when the backup last reached it and
 * that it is still there — never "no backup" because a friend's server is off.
 */
function UnreachableSource({ source }: { source: Unreachable }) {
  return (
    <Notice tone="warning" title={`${source.peerName} cannot be reached right now`}>
      <span className="block" data-testid="unreachable-source">
        {source.syncedShares.length > 0 ? (
          <>
            {source.syncedShares.map((synced, index) => (
              <span key={synced.share}>
                {index > 0 ? '; your' : 'Your'} {synced.share} share last synced there <RelativeTime iso={synced.lastSyncAt} />
              </span>
            ))}
            . That backup is still on {source.peerName}: you can restore from it as soon as it is back online.
          </>
        ) : (
          <>No backup of yours is known to have reached it yet.</>
        )}{' '}
        {source.lastSeenAt && (
          <>
            Last seen online <RelativeTime iso={source.lastSeenAt} />.
          </>
        )}
      </span>
      <span className="mt-1 block">{source.error.message}</span>
      <span className="block">{source.error.hint}</span>
    </Notice>
  );
}

/** Restore: pick the peer holding a backup, browse it, download a file, or several as a ZIP. */
export function RestorePage() {
  const sources = useLoad(restoreApi.sources);
  const [chosen, setChosen] = useState<string>();
  const backups = (sources.data ?? []).filter((source): source is Backup => 'share' in source);
  const unreachable = (sources.data ?? []).filter((source): source is Unreachable => 'error' in source);
  const backup = backups.find((entry) => backupKey(entry) === chosen) ?? backups[0];

  return (
    <>
      <PageHeader title="Restore" description="Get files back from a copy of your backup on a peer server." />
      <div className="space-y-6">
        <Card title="Source" labelId="restore-source">
          <div className="space-y-3">
            <ErrorNotice error={sources.error} />
            {sources.loading && <Spinner label="Asking the peers…" />}
            {!sources.loading && backups.length === 0 && unreachable.length === 0 && !sources.error && (
              <EmptyState>No peer holds a backup of yours yet. Sync your backup share first.</EmptyState>
            )}
            {backups.length > 0 && (
              <div className="max-w-2xl">
                <SelectField label="Restore from" name="source" value={backup ? backupKey(backup) : ''} onChange={(event) => setChosen(event.target.value)}>
                  {backups.map((entry) => (
                    <option key={backupKey(entry)} value={backupKey(entry)}>
                      {describeBackup(entry)}
                    </option>
                  ))}
                </SelectField>
              </div>
            )}
            {unreachable.map((source) => (
              <UnreachableSource key={source.peerId} source={source} />
            ))}
          </div>
        </Card>
        {backup && <BackupExplorer key={backupKey(backup)} backup={backup} />}
      </div>
    </>
  );
}
