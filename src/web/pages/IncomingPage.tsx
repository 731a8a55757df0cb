import { useState } from 'react';
import { incomingApi, settingsApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { IncomingSource } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { Card, Details, EmptyState, PageHeader, Stat } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Notice } from '../components/Notice';
import { Table } from '../components/Table';
import { RelativeTime } from '../components/Time';
import { formatBytes, formatCount } from '../lib/format';
import { asApiError, useLoad } from '../lib/hooks';
import { Fingerprint } from '../components/Fingerprint';
import { SourceLimitsForm } from '../components/SourceLimitsForm';

/** What a delete removes: a whole source, one of its users, or one share. */
interface DeleteTarget {
  source: string;
  user?: string;
  share?: string;
  fileCount: number;
  bytesUsed: number;
}

function describeTarget(target: DeleteTarget): string {
  if (target.share) return `${target.user}'s ${target.share} share from ${target.source}`;
  if (target.user) return `every share of ${target.user} from ${target.source}`;
  return `every backup from ${target.source}`;
}

function describeRetention(source: IncomingSource): string {
  if (source.keepVersionsDays === 0) return source.keepVersionsDaysOverride === null ? "None (this server's setting)" : 'None (set for this server)';
  const days = formatCount(source.keepVersionsDays, 'day');
  return source.keepVersionsDaysOverride === null ? `${days} (this server's setting)` : `${days} (set for this server)`;
}

function describeQuota(source: IncomingSource): string {
  if (source.maxBytes === null) return 'None';
  return `${formatBytes(source.bytesUsed + source.versionBytes)} used of ${formatBytes(source.maxBytes)}`;
}

function SourceCard({
  source,
  serverDays,
  onDelete,
  onAcceptCertificate,
  onLimitsSaved,
}: {
  source: IncomingSource;
  serverDays: number | undefined;
  onDelete(target: DeleteTarget): void;
  onAcceptCertificate(): void;
  onLimitsSaved(): void;
}) {
  const users = [...new Set(source.shares.map((share) => share.user))];
  const [editing, setEditing] = useState(false);
  return (
    <Card
      title={source.name}
      labelId={`source-${source.name}`}
      description={`${formatCount(source.fileCount, 'file')} · ${formatBytes(source.bytesUsed)} · old versions ${formatBytes(source.versionBytes)}`}
      actions={
        <>
          <Button variant="secondary" size="sm" onClick={() => setEditing(true)} disabled={editing} aria-label={`Edit the retention and quota of ${source.name}`}>
            Retention and quota…
          </Button>
          <Button variant="dangerGhost" size="sm" onClick={() => onDelete({ source: source.name, fileCount: source.fileCount, bytesUsed: source.bytesUsed })}>
            Delete all from {source.name}…
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        <Details
          items={[
            ['Last received', <RelativeTime key="received" iso={source.lastReceivedAt} />],
            ['Certificate', source.fingerprint ? <Fingerprint key="fp" value={source.fingerprint} /> : 'Not bound yet'],
            ['Old versions', `${formatBytes(source.versionBytes)} — the next prune frees ${formatBytes(source.prunableBytes)}`],
            ['Retention', describeRetention(source)],
            ['Quota', describeQuota(source)],
          ]}
        />
        {editing && (
          <SourceLimitsForm
            source={source}
            serverDays={serverDays}
            onSaved={() => {
              setEditing(false);
              onLimitsSaved();
            }}
            onCancel={() => setEditing(false)}
          />
        )}
        {source.pendingFingerprint && (
          <Notice tone="warning" title="This server now presents another certificate">
            <p>
              New fingerprint: <Fingerprint value={source.pendingFingerprint} />
            </p>
            <p className="mt-1">Its syncs are refused until you accept it. Accept it only if its administrator confirms this fingerprint (a reinstall, a restored server).</p>
            <Button size="sm" variant="secondary" className="mt-2" onClick={onAcceptCertificate}>
              Accept the new certificate…
            </Button>
          </Notice>
        )}
        {source.shares.length === 0 ? (
          <EmptyState>Nothing stored from this server.</EmptyState>
        ) : (
          <Table
            caption={`Backups from ${source.name}`}
            rows={source.shares}
            rowKey={(share) => `${share.user}/${share.share}`}
            columns={[
              { label: 'User', cell: (share) => <span className="font-medium text-slate-900">{share.user}</span> },
              { label: 'Share', cell: (share) => share.share },
              { label: 'Files', align: 'right', cell: (share) => formatCount(share.fileCount) },
              { label: 'Space', align: 'right', cell: (share) => formatBytes(share.bytesUsed) },
              {
                label: 'Old versions',
                align: 'right',
                cell: (share) => (
                  <>
                    {formatBytes(share.versionBytes)}
                    {share.prunableBytes > 0 && <span className="block text-xs text-slate-600">{formatBytes(share.prunableBytes)} to prune</span>}
                  </>
                ),
              },
              { label: 'Last received', cell: (share) => <RelativeTime iso={share.lastReceivedAt} /> },
              {
                label: 'Actions',
                bare: true,
                align: 'right',
                cell: (share) => (
                  <Button
                    variant="secondary"
                    size="sm"
                    aria-label={`Delete ${share.user}'s ${share.share} share`}
                    onClick={() => onDelete({ source: source.name, user: share.user, share: share.share, fileCount: share.fileCount, bytesUsed: share.bytesUsed })}
                  >
                    Delete
                  </Button>
                ),
              },
            ]}
          />
        )}
        {users.length > 1 && (
          <div className="flex flex-wrap gap-2 border-t border-slate-200 pt-3">
            {users.map((user) => {
              const shares = source.shares.filter((share) => share.user === user);
              return (
                <Button
                  key={user}
                  variant="dangerGhost"
                  size="sm"
                 
                  onClick={() =>
                    onDelete({
                      source: source.name,
                      user,
                      fileCount: shares.reduce((sum, share) => sum + share.fileCount, 0),
                      bytesUsed: shares.reduce((sum, share) => sum + share.bytesUsed, 0),
                    })
                  }
                >
                  Delete all of {user}…
                </Button>
              );
            })}
          </div>
        )}
      </div>
    </Card>
  );
}

/** Incoming backups: what other servers store here, encrypted; their details, and deleting them. */
export function IncomingPage() {
  const overview = useLoad(incomingApi.overview, { pollMs: 15_000 });
  // this server's retention, which a source without its own follows
  const settings = useLoad(settingsApi.sync);
  const [target, setTarget] = useState<DeleteTarget>();
  const [accepting, setAccepting] = useState<IncomingSource>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError>();
  const [deleted, setDeleted] = useState<string>();

  const run = async (action: () => Promise<unknown>, after: () => void) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await action();
      after();
      await overview.reload();
    } catch (caught) {
      setActionError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  const data = overview.data;
  return (
    <>
      <PageHeader title="Incoming backups" description="What other servers store here. It is encrypted with their users' keys: this server can count it, keep it and give it back, but never read it." />
      <ErrorNotice error={overview.error} />
      {overview.loading && !data && <Spinner label="Loading…" />}
      {data && (
        <div className="space-y-6">
          <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4 sm:gap-4">
            <Stat label="Servers" value={formatCount(data.peerCount)} detail="backing up here" />
            <Stat label="Files" value={formatCount(data.fileCount)} />
            <Stat label="Space used" value={formatBytes(data.bytesUsed)} />
            <Stat label="Old versions" value={formatBytes(data.versionBytes)} detail={settings.data ? `kept ${formatCount(settings.data.keepVersionsDays, 'day')} by default` : undefined} />
          </dl>
          {deleted && <Notice tone="success">{deleted}</Notice>}
          {data.sources.length === 0 && <EmptyState>No server stores backups here yet. Switch on “Accept incoming syncs” in Settings to let peers in.</EmptyState>}
          {data.sources.map((source) => (
            <SourceCard
              key={source.name}
              source={source}
              serverDays={settings.data?.keepVersionsDays}
              onDelete={setTarget}
              onAcceptCertificate={() => setAccepting(source)}
              onLimitsSaved={() => {
                setDeleted(undefined);
                void overview.reload();
              }}
            />
          ))}
        </div>
      )}
      <ConfirmDialog
        open={target !== undefined}
        title="Delete these backups?"
        confirmLabel="Delete backups"
        busy={busy}
        error={actionError}
        onConfirm={() => {
          const chosen = target;
          if (!chosen) return;
          void run(
            () => incomingApi.remove(chosen),
            () => {
              setTarget(undefined);
              setDeleted(`Deleted ${describeTarget(chosen)}.`);
            },
          );
        }}
        onCancel={() => {
          setTarget(undefined);
          setActionError(undefined);
        }}
      >
        {target && (
          <>
            <p>
              This deletes {describeTarget(target)}: {formatCount(target.fileCount, 'file')}, {formatBytes(target.bytesUsed)}.
            </p>
            <p>If that server still syncs here, its next sync sends everything again. Its users lose this copy of their backup until then.</p>
          </>
        )}
      </ConfirmDialog>
      <ConfirmDialog
        open={accepting !== undefined}
        title={`Accept the new certificate of ${accepting?.name ?? ''}?`}
        confirmLabel="Accept certificate"
        busy={busy}
        error={actionError}
        onConfirm={() => {
          const source = accepting;
          if (source) void run(() => incomingApi.acceptCertificate(source.name), () => setAccepting(undefined));
        }}
        onCancel={() => {
          setAccepting(undefined);
          setActionError(undefined);
        }}
      >
        <p>
          From now on only the certificate <code className="font-mono text-xs break-all">{accepting?.pendingFingerprint}</code> may sync as {accepting?.name}. The old one is refused.
        </p>
      </ConfirmDialog>
    </>
  );
}
