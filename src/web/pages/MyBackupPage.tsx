import { OwnBackupVerdict } from '../components/BackupVerdict';
import { sharesApi } from '../api/client';
import type { Share } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { Card, PageHeader } from '../components/Card';
import { MyHistoryAtAGlance } from '../components/HistoryAtAGlance';
import { ChangePasswordCard } from '../components/ChangePasswordCard';
import { EnterKeyCard } from '../components/EnterKeyCard';
import { FileAccessPanel } from '../components/FileAccessPanel';
import { ErrorNotice } from '../components/Notice';
import { ShareSyncPanel } from '../components/ShareSyncPanel';
import { Badge } from '../components/StatusBadge';
import { RelativeTime } from '../components/Time';
import { formatBytes, formatCount } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { Link } from '../lib/router';
import { useSession } from '../lib/session';
import { useShareSync } from '../lib/use-share-sync';

const SHARE_PURPOSE: Record<string, string> = {
  backup: 'Encrypted on this server, then copied to the peer servers.',
  data: 'Stays on this server only; never synced.',
};

function ShareFigures({ share }: { share: Share }) {
  return (
    <dl className="grid grid-cols-2 gap-4 text-sm sm:grid-cols-3">
      <div>
        <dt className="text-slate-600">Size</dt>
        <dd className="font-medium text-slate-900">{formatBytes(share.sizeBytes)}</dd>
      </div>
      <div>
        <dt className="text-slate-600">Files</dt>
        <dd className="font-medium text-slate-900">{formatCount(share.fileCount)}</dd>
      </div>
      {share.syncEnabled && (
        <div className="col-span-2 sm:col-span-1">
          <dt className="text-slate-600">Last successful sync</dt>
          <dd className="font-medium text-slate-900">
            <RelativeTime iso={share.lastSuccessfulSyncAt} />
          </dd>
        </div>
      )}
    </dl>
  );
}

function SyncedShareCard({ share, onChanged }: { share: Share; onChanged(): void }) {
  const sync = useShareSync(share.id, onChanged);
  return (
    <Card
      title={<span className="capitalize">{share.name}</span>}
      labelId={`share-${share.id}`}
      description={SHARE_PURPOSE[share.name] ?? 'Encrypted and synced to the peer servers.'}
      actions={
        <Button onClick={() => void sync.start()} busy={sync.starting || sync.active} aria-describedby={`share-${share.id}`}>
          {sync.active ? 'Syncing…' : 'Sync'}
        </Button>
      }
    >
      <div className="space-y-4">
        <ShareFigures share={share} />
        <ShareSyncPanel sync={sync} />
      </div>
    </Card>
  );
}

function LocalShareCard({ share }: { share: Share }) {
  return (
    <Card
      title={<span className="capitalize">{share.name}</span>}
      description={SHARE_PURPOSE[share.name] ?? 'Stays on this server.'}
      actions={<Badge tone="neutral">Not synced</Badge>}
    >
      <ShareFigures share={share} />
    </Card>
  );
}

/** The user's dashboard: their shares, Sync on the backup share, and their own password. */
export function MyBackupPage() {
  const { me } = useSession();
  const shares = useLoad(sharesApi.list);

  return (
    <>
      <PageHeader
        title="My backup"
        description={
          <>
            Your shares on {me.serverName}. Files you put in <strong>backup</strong> are encrypted with your key and copied to the peer servers; get them back from{' '}
            <Link to="/restore" className="font-medium text-teal-800 underline">
              Restore
            </Link>
            .
          </>
        }
      />
      <EnterKeyCard />
      <OwnBackupVerdict />
      <ErrorNotice error={shares.error} />
      {shares.loading && !shares.data && <Spinner label="Loading your shares…" />}
      <div className="grid gap-6">
        {shares.data?.map((share) =>
          share.syncEnabled ? <SyncedShareCard key={share.id} share={share} onChanged={() => void shares.reload()} /> : <LocalShareCard key={share.id} share={share} />,
        )}
        <FileAccessPanel />
        <MyHistoryAtAGlance />
        <ChangePasswordCard />
      </div>
    </>
  );
}
