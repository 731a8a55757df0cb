import type { Repositories, ShareRow, UserRow } from '../db/index.js';
import type { PeerView } from '../peers/peer-service.js';
import { backupVerdict, type Verdict } from './verdict.js';

export interface DashboardShare {
  id: number;
  user: string;
  name: string;
  syncEnabled: boolean;
  lastSuccessfulSyncAt: string | null;
  /** The share's last run left files out: how many, and the log that lists them. */
  notBackedUp: { count: number; logId: number; peer: string; finishedAt: string } | null;
  /** Files and bytes in the share now (measured at most every half minute); null when it could not be measured. */
  fileCount: number | null;
  sizeBytes: number | null;
}

/** What each user keeps on this server, their shares added up. */
export interface DashboardUserSize {
  user: string;
  fileCount: number;
  sizeBytes: number;
}

export interface DashboardPeer {
  id: number;
  name: string;
  enabled: boolean;
  status: string | null;
  statusMessage: string | null;
  lastContactAt: string | null;
  /** The last time the peer answered (a health check, a sync, a Test Connection): "last seen online …". */
  lastSeenAt: string | null;
}

export interface DashboardFailure {
  id: number;
  user: string;
  share: string;
  peer: string;
  finishedAt: string | null;
  errorCode: string | null;
  error: string | null;
  hint: string | null;
}

/** Something that keeps a backup from syncing at all, said once here rather than as a failed run at every schedule. */
export interface DashboardWaiting {
  code: 'USER_NOT_ACTIVATED' | 'PEER_NOT_PINNED';
  /** The user or the peer it is about. */
  subject: string;
  message: string;
  hint: string;
}

export interface Dashboard {
  /** The headline: all backed up, or what needs attention and why. */
  verdict: Verdict;
  /** The next scheduled run; null when automatic sync is off. */
  nextRunAt: string | null;
  shares: DashboardShare[];
  users: DashboardUserSize[];
  connectedPeers: number;
  peers: DashboardPeer[];
  /** Administrators only: the latest failed syncs that no later success of the same share and peer cleared, with what to do about each. */
  recentFailures?: DashboardFailure[];
  /** Administrators only: users and peers that scheduled syncs and Force Sync leave out, and why. */
  waiting?: DashboardWaiting[];
}

const RECENT_FAILURES = 10;

/** The dashboard as one person sees it: a user their own shares, an administrator every share and the failures. */
export interface DashboardDeps {
  repos: Pick<Repositories, 'shares' | 'syncLogs' | 'users'>;
  peers: { list(): PeerView[] };
  /** The scheduler's next run (ISO), null when automatic sync is off. */
  nextRunAt: () => string | null;
  sizesOf: (shares: readonly ShareRow[]) => Promise<Map<number, { fileCount: number; sizeBytes: number }>>;
}

/** The dashboard as one person sees it: a user their own shares, an administrator every share and the failures. */
export async function buildDashboard(viewer: UserRow, deps: DashboardDeps): Promise<Dashboard> {
  const lastSuccess = deps.repos.syncLogs.lastSuccessByShare();
  const leftOut = deps.repos.syncLogs.lastRunNotBackedUpByShare();
  const shareRows = viewer.isAdmin ? deps.repos.shares.listAll() : deps.repos.shares.listForUser(viewer.id);
  const sizes = await deps.sizesOf(shareRows).catch(() => new Map<number, { fileCount: number; sizeBytes: number }>());
  const peers = deps.peers.list();
  const users = deps.repos.users.list();
  const shares: DashboardShare[] = shareRows.map((share) => ({
    id: share.id,
    user: share.username,
    name: share.name,
    syncEnabled: share.syncEnabled,
    lastSuccessfulSyncAt: lastSuccess.get(share.id) ?? null,
    notBackedUp: notBackedUpOf(leftOut.get(share.id)),
    fileCount: sizes.get(share.id)?.fileCount ?? null,
    sizeBytes: sizes.get(share.id)?.sizeBytes ?? null,
  }));
  const shown = new Set(shareRows.map((share) => share.id));
  const failures = deps.repos.syncLogs
    .unresolvedFailures(RECENT_FAILURES)
    .filter((log) => log.shareId !== null && shown.has(log.shareId))
    .map((log) => ({
      id: log.id,
      user: log.username,
      share: log.shareName,
      peer: log.peerName,
      finishedAt: log.finishedAt,
      errorCode: log.errorCode,
      error: log.error,
      hint: log.hint,
    }));
  const dashboardPeers = peers.map((peer) => ({
    id: peer.id,
    name: peer.name,
    enabled: peer.enabled,
    status: peer.status,
    statusMessage: peer.statusMessage,
    lastContactAt: peer.lastContactAt,
    lastSeenAt: peer.lastContactAt,
  }));
  const waiting = viewer.isAdmin ? waitingFor(users, shareRows, peers) : [];
  const activated = new Set(users.filter((user) => user.wrappedKey !== null).map((user) => user.id));
  const dashboard: Dashboard = {
    verdict: backupVerdict({
      shares: shares.filter((share, index) => share.syncEnabled && activated.has((shareRows[index] as ShareRow).userId)),
      readyPeers: peers.filter((peer) => peer.enabled && peer.fingerprint !== null).map((peer) => ({ ...peer, lastSeenAt: peer.lastContactAt })),
      failures,
      waiting,
    }),
    nextRunAt: deps.nextRunAt(),
    shares,
    users: sizePerUser(shares),
    connectedPeers: peers.filter((peer) => peer.enabled && peer.status === 'online').length,
    peers: dashboardPeers,
  };
  if (viewer.isAdmin) {
    dashboard.recentFailures = failures;
    dashboard.waiting = waiting;
  }
  return dashboard;
}

function sizePerUser(shares: readonly DashboardShare[]): DashboardUserSize[] {
  const totals = new Map<string, DashboardUserSize>();
  for (const share of shares) {
    const total = totals.get(share.user) ?? { user: share.user, fileCount: 0, sizeBytes: 0 };
    total.fileCount += share.fileCount ?? 0;
    total.sizeBytes += share.sizeBytes ?? 0;
    totals.set(share.user, total);
  }
  return [...totals.values()];
}

function waitingFor(users: UserRow[], shares: { userId: number; syncEnabled: boolean }[], peers: PeerView[]): DashboardWaiting[] {
  const withSyncedShare = new Set(shares.filter((share) => share.syncEnabled).map((share) => share.userId));
  const waiting: DashboardWaiting[] = users
    .filter((user) => user.wrappedKey === null && withSyncedShare.has(user.id))
    .map((user) => ({
      code: 'USER_NOT_ACTIVATED',
      subject: user.username,
      message: `${user.username} has not activated their account yet: their backup is not synced`,
      hint: 'Send them their activation link (Users); their backup syncs once they have activated.',
    }));
  for (const peer of peers.filter((candidate) => candidate.enabled && candidate.fingerprint === null)) {
    waiting.push({
      code: 'PEER_NOT_PINNED',
      subject: peer.name,
      message: `The certificate fingerprint of ${peer.name} is not confirmed yet: nothing is synced to it`,
      hint: 'Run Test Connection on the peer, compare the fingerprint with its administrator, and confirm it.',
    });
  }
  return waiting;
}

function notBackedUpOf(run: { logId: number; peerName: string; count: number; finishedAt: string } | undefined): DashboardShare['notBackedUp'] {
  return run ? { count: run.count, logId: run.logId, peer: run.peerName, finishedAt: run.finishedAt } : null;
}
