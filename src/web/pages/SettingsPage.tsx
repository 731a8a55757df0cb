import { useEffect, useState } from 'react';
import { settingsApi } from '../api/client';
import type { RecoveryKitStatus } from '../api/types';
import { ApiTokensPanel } from '../components/ApiTokensPanel';
import { Spinner } from '../components/Button';
import { Card, Details, PageHeader } from '../components/Card';
import { CopyButton } from '../components/CopyButton';
import { IncomingSyncForm } from '../components/IncomingSyncForm';
import { ErrorNotice } from '../components/Notice';
import { NotificationsForm } from '../components/NotificationsForm';
import { RecoveryKitForm } from '../components/RecoveryKitForm';
import { Badge } from '../components/StatusBadge';
import { RelativeTime } from '../components/Time';
import { useLoad } from '../lib/hooks';
import { useSession } from '../lib/session';
import { Fingerprint } from '../components/Fingerprint';

function KitCopies({ status }: { status: RecoveryKitStatus }) {
  if (!status.configured) return <p className="text-sm text-slate-600">No recovery kit was made yet.</p>;
  return (
    <div className="space-y-2 text-sm">
      <p className="text-slate-700">
        Last kit made <RelativeTime iso={status.createdAt} />.{' '}
        {status.peers.length === 0
          ? 'Once you add peers, each keeps a sealed copy, refreshed when users, peers or settings change.'
          : 'Each peer keeps a sealed copy, refreshed when users, peers or settings change.'}
      </p>
      <ul className="divide-y divide-slate-200">
        {status.peers.map((copy) => (
          <li key={copy.peerId} className="flex flex-wrap items-start justify-between gap-2 py-2">
            <div>
              <p className="font-medium text-slate-900">{copy.peerName}</p>
              {copy.error && <p className="text-red-800">{copy.error}</p>}
              {copy.hint && <p className="text-xs text-slate-600">{copy.hint}</p>}
            </div>
            {copy.pending ? (
              <Badge tone="busy">Sending the copy…</Badge>
            ) : copy.ok ? (
              <span className="text-xs text-slate-600">
                <Badge tone="good">Copy up to date</Badge> <RelativeTime iso={copy.pushedAt} />
              </span>
            ) : (
              <Badge tone="bad">Copy missing</Badge>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

const KIT_POLL_MS = 1000;

/** Settings: this server's identity, incoming syncs and its password, notifications, the server recovery kit, and API tokens. */
export function SettingsPage() {
  const { me } = useSession();
  const server = useLoad(settingsApi.server);
  const sync = useLoad(settingsApi.sync);
  // while a copy is on its way to a peer (right after a kit is made), follow it instead of showing it missing until a reload
  const [kitPolling, setKitPolling] = useState(false);
  const kit = useLoad(settingsApi.recoveryKitStatus, { pollMs: kitPolling ? KIT_POLL_MS : undefined });
  const kitPending = kit.data?.peers.some((copy) => copy.pending) ?? false;
  useEffect(() => setKitPolling(kitPending), [kitPending]);
  const notifications = useLoad(settingsApi.notifications);

  return (
    <>
      <PageHeader title="Settings" />
      <div className="space-y-6">
        <Card title="This server" labelId="settings-server" description="Peers add this server with its port, and compare this fingerprint with the one their Test Connection shows before they trust it.">
          <ErrorNotice error={server.error} />
          {server.loading && !server.data && <Spinner label="Loading…" />}
          {server.data && (
            <Details
              items={[
                ['Name', server.data.serverName],
                [
                  'Certificate fingerprint (SHA-256)',
                  <span key="fingerprint" className="flex flex-wrap items-center gap-2">
                    <Fingerprint value={server.data.fingerprint} testId="server-fingerprint" className="text-slate-900" />
                    <CopyButton text={server.data.fingerprint} />
                  </span>,
                ],
                [
                  'Peers connect to port',
                  <code key="peer-port" className="font-mono text-slate-900" data-testid="server-peer-port">
                    {server.data.peerPort}
                  </code>,
                ],
                ['Version', server.data.version],
              ]}
            />
          )}
        </Card>
        <Card title="Incoming syncs" labelId="settings-incoming" description="Other servers that back up to this one.">
          <ErrorNotice error={sync.error} />
          {sync.loading && !sync.data && <Spinner label="Loading…" />}
          {sync.data && <IncomingSyncForm initial={sync.data} />}
        </Card>
        <Card title="Notifications" labelId="settings-notifications" description="Be told when a backup fails, is held, goes stale, and when it works again.">
          <ErrorNotice error={notifications.error} />
          {notifications.loading && !notifications.data && <Spinner label="Loading…" />}
          {notifications.data && <NotificationsForm initial={notifications.data} />}
        </Card>
        <Card title="Server recovery kit" labelId="settings-kit" description="To rebuild this server after a disaster.">
          <div className="space-y-5">
            <RecoveryKitForm serverName={me.serverName} onMade={() => void kit.reload()} />
            {kit.data && (
              <div className="border-t border-slate-200 pt-4">
                <KitCopies status={kit.data} />
              </div>
            )}
          </div>
        </Card>
        <Card
          title="API tokens"
          labelId="settings-tokens"
          description="For scripts and monitoring: a token with the scope metrics lets Prometheus read GET /metrics, and opens nothing else (see docs/metrics.md)."
        >
          <ApiTokensPanel />
        </Card>
      </div>
    </>
  );
}
