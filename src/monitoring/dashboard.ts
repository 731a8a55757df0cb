import type { Repositories, UserRow } from '../db/index.js';
import type { PeerView } from '../peers/peer-service.js';

export interface DashboardShare {
  id: number;
  user: string;
  name: string;
  syncEnabled: boolean;
  lastSuccessfulSyncAt: string | null;
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

export interface Dashboard {
  shares: DashboardShare[];
  connectedPeers: number;
  peers: DashboardPeer[];
  /** Administrators only: the latest failed syncs, with what to do about each. */
  recentFailures?: DashboardFailure[];
}

const RECENT_FAILURES = 10;

/** The dashboard as one person sees it: a user their own shares, an administrator every share and the failures. */
export function buildDashboard(
  viewer: UserRow,
  deps: { repos: Pick<Repositories, 'shares' | 'syncLogs'>; peers: { list(): PeerView[] } },
): Dashboard {
  const lastSuccess = deps.repos.syncLogs.lastSuccessByShare();
  const shareRows = viewer.isAdmin ? deps.repos.shares.listAll() : deps.repos.shares.listForUser(viewer.id);
  const peers = deps.peers.list();
  const dashboard: Dashboard = {
    shares: shareRows.map((share) => ({
      id: share.id,
      user: share.username,
      name: share.name,
      syncEnabled: share.syncEnabled,
      lastSuccessfulSyncAt: lastSuccess.get(share.id) ?? null,
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
  }
  return dashboard;
}
