import type { Repositories, UserRow } from '../db/index.js';
import type { PeerView } from '../peers/peer-service.js';

export interface DashboardShare {
  id: number;
  user: string;
  name: string;
  syncEnabled: boolean;
  lastSuccessfulSyncAt: string | null;
  /** The share's last run left files out: how many, and the log that lists them. */
  notBackedUp: { count: number; logId: number; peer: string; finishedAt: string } | null;
}

export interface DashboardPeer {
  id: number;
  name: string;
  enabled: boolean;
  status: string | null;
  statusMessage: string | null;
  lastContactAt: string | null;
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
  shares: DashboardShare[];
  connectedPeers: number;
  peers: DashboardPeer[];
  /** Administrators only: the latest failed syncs, with what to do about each. */
  recentFailures?: DashboardFailure[];
  /** Administrators only: users and peers that scheduled syncs and Force Sync leave out, and why. */
  waiting?: DashboardWaiting[];
}

const RECENT_FAILURES = 10;

/** The dashboard as one person sees it: a user their own shares, an administrator every share and the failures. */
export function buildDashboard(
  viewer: UserRow,
  deps: { repos: Pick<Repositories, 'shares' | 'syncLogs' | 'users'>; peers: { list(): PeerView[] } },
): Dashboard {
  const lastSuccess = deps.repos.syncLogs.lastSuccessByShare();
  const leftOut = deps.repos.syncLogs.lastRunNotBackedUpByShare();
  const shareRows = viewer.isAdmin ? deps.repos.shares.listAll() : deps.repos.shares.listForUser(viewer.id);
  const peers = deps.peers.list();
  const dashboard: Dashboard = {
    shares: shareRows.map((share) => ({
      id: share.id,
      user: share.username,
      name: share.name,
      syncEnabled: share.syncEnabled,
      lastSuccessfulSyncAt: lastSuccess.get(share.id) ?? null,
      notBackedUp: notBackedUpOf(leftOut.get(share.id)),
    })),
    connectedPeers: peers.filter((peer) => peer.enabled && peer.status === 'online').length,
    peers: peers.map((peer) => ({
      id: peer.id,
      name: peer.name,
      enabled: peer.enabled,
      status: peer.status,
      statusMessage: peer.statusMessage,
      lastContactAt: peer.lastContactAt,
    })),
  };
  if (viewer.isAdmin) {
    dashboard.recentFailures = deps.repos.syncLogs.list({ status: 'failure', limit: RECENT_FAILURES }).map((log) => ({
      id: log.id,
      user: log.username,
      share: log.shareName,
      peer: log.peerName,
      finishedAt: log.finishedAt,
      errorCode: log.errorCode,
      error: log.error,
      hint: log.hint,
    }));
    dashboard.waiting = waitingFor(deps.repos.users.list(), shareRows, peers);
  }
  return dashboard;
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
