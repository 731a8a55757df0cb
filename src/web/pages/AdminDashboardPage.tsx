import { dashboardApi, syncApi } from '../api/client';
import type { Dashboard } from '../api/types';
import { Spinner } from '../components/Button';
import { Card, EmptyState, PageHeader, Stat } from '../components/Card';
import { AdminHistoryAtAGlance } from '../components/HistoryAtAGlance';
import { ErrorNotice } from '../components/Notice';
import { BackupVerdict } from '../components/BackupVerdict';
import { Badge, PeerStatusBadge } from '../components/StatusBadge';
import { UserSizesCard } from '../components/UserSizesCard';
import { Table } from '../components/Table';
import { RelativeTime } from '../components/Time';
import { formatBytes, formatCount } from '../lib/format';
import { heldGuardOf } from '../lib/held-plans';
import { useLoad } from '../lib/hooks';
import { Link } from '../lib/router';

type DashboardShare = Dashboard['shares'][number];
type DashboardFailure = NonNullable<Dashboard['recentFailures']>[number];

function PeersCard({ peers }: { peers: Dashboard['peers'] }) {
  return (
    <Card title="Peers" labelId="dashboard-peers" actions={<Link to="/admin/peers" className="text-sm font-medium text-teal-800 underline">Manage peers</Link>}>
      {peers.length === 0 ? (
        <EmptyState>
          No peer yet. <Link to="/admin/peers" className="font-medium text-teal-800 underline">Add a peer</Link> to start backing up.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-200">
          {peers.map((peer) => (
            <li key={peer.id} className="flex items-start justify-between gap-3 py-2.5">
              <div className="min-w-0">
                <p className="font-medium text-slate-900">{peer.name}</p>
                {peer.statusMessage && <p className="text-sm text-slate-600">{peer.statusMessage}</p>}
                <p className="text-xs text-slate-600" data-testid="peer-last-seen">
                  Last seen online <RelativeTime iso={peer.lastSeenAt} never="never" />
                </p>
              </div>
              <span className="shrink-0">
                <PeerStatusBadge status={peer.status} enabled={peer.enabled} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** What keeps backups from syncing at all (an account not activated, a peer not confirmed): said once, until it changes. */
function WaitingNotice({ waiting }: { waiting: NonNullable<Dashboard['waiting']> }) {
  if (waiting.length === 0) return null;
  return (
    <section aria-labelledby="dashboard-waiting" className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm">
      <h2 id="dashboard-waiting" className="font-medium text-amber-900">
        Not syncing yet
      </h2>
      <ul className="mt-2 space-y-2">
        {waiting.map((item) => (
          <li key={`${item.code}:${item.subject}`} data-testid="waiting-item">
            <p className="text-amber-900">{item.message}</p>
            <p className="text-amber-900/90">{item.hint}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function FailuresCard({ failures }: { failures: DashboardFailure[] }) {
  return (
    <Card title="Recent failures" labelId="dashboard-failures" actions={<Link to="/admin/sync" className="text-sm font-medium text-teal-800 underline">All sync logs</Link>}>
      {failures.length === 0 ? (
        <EmptyState>No failed sync recently.</EmptyState>
      ) : (
        <ul className="space-y-3">
          {failures.map((failure) => (
            <li key={failure.id} className="rounded-md border border-red-200 bg-red-50 p-3 text-sm">
              <p className="font-medium text-red-900">
                {failure.user}/{failure.share} → {failure.peer} · <RelativeTime iso={failure.finishedAt} />
              </p>
              {failure.error && <p className="mt-1 text-red-900">{failure.error}</p>}
              {failure.hint && <p className="text-red-900/90">{failure.hint}</p>}
              <HeldNotice errorCode={failure.errorCode} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** A run a guard held waits for a confirmation on the Synchronisation page: say which guard, and where. */
function HeldNotice({ errorCode }: { errorCode: string | null }) {
  const guard = heldGuardOf(errorCode);
  if (!guard) return null;
  return (
    <p className="mt-2 flex flex-wrap items-center gap-2">
      <Badge tone="warn">{guard.label}</Badge>
      <Link to="/admin/sync" className="font-medium text-teal-800 underline">
        Review and confirm in the sync logs
      </Link>
    </p>
  );
}

function SharesCard({ shares }: { shares: DashboardShare[] }) {
  const synced = shares.filter((share) => share.syncEnabled);
  return (
    <Card title="Backups by share" labelId="dashboard-shares" description="The last time each synced share reached a peer completely.">
      {synced.length === 0 ? (
        <EmptyState>No synced share yet.</EmptyState>
      ) : (
        <Table
          caption="Last successful sync per share"
          rows={synced}
          rowKey={(share) => share.id}
          columns={[
            { label: 'User', cell: (share) => share.user },
            { label: 'Share', cell: (share) => share.name },
            { label: 'Last successful sync', cell: (share) => <RelativeTime iso={share.lastSuccessfulSyncAt} /> },
            { label: 'Size', cell: (share) => (share.sizeBytes === null ? '—' : `${formatBytes(share.sizeBytes)} · ${formatCount(share.fileCount ?? 0, 'file')}`) },
            {
              label: 'Left out',
              cell: (share) =>
                share.notBackedUp ? (
                  <Link to="/admin/sync" className="text-amber-900 underline" title={`Last run to ${share.notBackedUp.peer}; the sync log lists them`}>
                    {`${formatCount(share.notBackedUp.count, 'file')} not backed up`}
                  </Link>
                ) : (
                  <span className="text-slate-500">—</span>
                ),
            },
          ]}
        />
      )}
    </Card>
  );
}

/** The administrator's overview: peers and their status, each share's last good sync, what failed and what to do. */
export function AdminDashboardPage() {
  // the peers are checked about every minute: polling more often than that costs little and shows a change soon
  const dashboard = useLoad(dashboardApi.get, { pollMs: 10_000 });
  const running = useLoad(syncApi.running, { pollMs: 5_000 });
  const data = dashboard.data;
  const neverSynced = data?.shares.filter((share) => share.syncEnabled && !share.lastSuccessfulSyncAt).length ?? 0;

  return (
    <>
      <PageHeader title="Overview" description="How the backups of this server are doing." />
      <ErrorNotice error={dashboard.error} />
      {dashboard.loading && !data && <Spinner label="Loading…" />}
      {data && (
        <div className="space-y-6">
          <BackupVerdict verdict={data.verdict} nextRunAt={data.nextRunAt} />
          <dl className="grid grid-cols-2 gap-4 lg:grid-cols-4">
            <Stat label="Connected peers" value={`${data.connectedPeers} of ${data.peers.filter((peer) => peer.enabled).length}`} detail="online and confirmed" />
            <Stat label="Synced shares" value={formatCount(data.shares.filter((share) => share.syncEnabled).length)} detail={neverSynced > 0 ? `${neverSynced} never synced` : 'all synced at least once'} />
            <Stat label="Syncs running" value={formatCount(running.data?.length ?? 0)} detail={<Link to="/admin/sync" className="underline">see progress</Link>} />
            <Stat label="Recent failures" value={formatCount(data.recentFailures?.length ?? 0)} detail="the latest ten at most" />
          </dl>
          <WaitingNotice waiting={data.waiting ?? []} />
          <div className="grid gap-6 lg:grid-cols-2">
            <PeersCard peers={data.peers} />
            <FailuresCard failures={data.recentFailures ?? []} />
          </div>
          <SharesCard shares={data.shares} />
          <UserSizesCard users={data.users} />
          <AdminHistoryAtAGlance />
        </div>
      )}
    </>
  );
}
