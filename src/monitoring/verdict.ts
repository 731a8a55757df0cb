import { errorCatalogue } from '../errors/catalogue.js';

/** One thing that keeps the backups from being all right, said so a person knows what to do. */
export interface VerdictReason {
  code: string;
  message: string;
  hint: string;
  /** When it started or was last good (a peer's last seen, a failure's time), for the UI to say "since …". */
  at: string | null;
}

/**
 * The headline of the overview: are my backups all right? `ok` when every
 * synced share has reached a peer and nothing needs attention; the UI says
 * "All 4 shares backed up, the oldest 3 minutes ago" from the counts and the
 * time, or lists the reasons.
 */
export interface Verdict {
  state: 'ok' | 'attention' | 'nothing-to-back-up';
  /** Synced shares of activated users. */
  sharesTotal: number;
  /** Of those, the ones with a successful sync. */
  sharesBackedUp: number;
  /** The oldest of those shares' last successful syncs: how far back the worst of them is. */
  oldestBackupAt: string | null;
  reasons: VerdictReason[];
}

export interface VerdictInput {
  shares: { user: string; name: string; lastSuccessfulSyncAt: string | null; notBackedUp: { count: number; peer: string; finishedAt: string } | null }[];
  /** Enabled peers with a confirmed certificate: the ones syncs go to. */
  readyPeers: { name: string; status: string | null; statusMessage: string | null; lastSeenAt: string | null }[];
  /** Failures no later success of the same share and peer cleared, newest first. */
  failures: { user: string; share: string; peer: string; finishedAt: string | null; error: string | null; hint: string | null; errorCode: string | null }[];
  waiting: { code: string; message: string; hint: string }[];
}

/** Pure: the verdict from what the dashboard already gathered. */
export function backupVerdict(input: VerdictInput): Verdict {
  const reasons: VerdictReason[] = [];
  if (input.readyPeers.length === 0) {
    reasons.push({ code: 'NO_ENABLED_PEERS', message: errorCatalogue.NO_ENABLED_PEERS.message, hint: errorCatalogue.NO_ENABLED_PEERS.hint, at: null });
  }
  for (const peer of input.readyPeers) {
    if (peer.status === null || peer.status === 'online') continue;
    reasons.push({
      code: 'PEER_NOT_ONLINE',
      message: `${peer.name} is ${peer.status === 'offline' ? 'offline' : 'not accepting syncs'}${peer.statusMessage ? `: ${peer.statusMessage}` : ''}`,
      hint:
        peer.status === 'offline'
          ? 'Backups already on it are safe; syncs to it resume by themselves when it is back. Ask its owner whether it is switched on and connected.'
          : 'Run Test Connection on the peer (Peers) and do what it says.',
      at: peer.lastSeenAt,
    });
  }
  // one line per share and peer: the latest failure says what is wrong now
  const seen = new Set<string>();
  for (const failure of input.failures) {
    const key = JSON.stringify([failure.user, failure.share, failure.peer]);
    if (seen.has(key)) continue;
    seen.add(key);
    reasons.push({
      code: failure.errorCode ?? 'SYNC_FAILED',
      message: `${failure.user}/${failure.share} did not sync to ${failure.peer}${failure.error ? `: ${failure.error}` : ''}`,
      hint: failure.hint ?? 'Look at the sync log for this run.',
      at: failure.finishedAt,
    });
  }
  for (const share of input.shares) {
    if (share.lastSuccessfulSyncAt === null) {
      reasons.push({
        code: 'NEVER_BACKED_UP',
        message: `${share.user}/${share.name} has not been backed up yet`,
        hint: 'It is sent at the next scheduled run; Sync now sends it at once.',
        at: null,
      });
    } else if (share.notBackedUp) {
      const files = `${share.notBackedUp.count} ${share.notBackedUp.count === 1 ? 'file' : 'files'}`;
      reasons.push({
        code: 'FILES_NOT_BACKED_UP',
        message: `${files} of ${share.user}/${share.name} were left out of the last sync to ${share.notBackedUp.peer}`,
        hint: 'The sync log of that run lists each file with why; fix that, and the next sync sends them.',
        at: share.notBackedUp.finishedAt,
      });
    }
  }
  for (const waiting of input.waiting) reasons.push({ code: waiting.code, message: waiting.message, hint: waiting.hint, at: null });

  const backedUp = input.shares.flatMap((share) => (share.lastSuccessfulSyncAt === null ? [] : [share.lastSuccessfulSyncAt]));
  const oldestBackupAt = backedUp.length === 0 ? null : backedUp.reduce((oldest, at) => (at < oldest ? at : oldest));
  const state = reasons.length > 0 ? 'attention' : input.shares.length === 0 ? 'nothing-to-back-up' : 'ok';
  return { state, sharesTotal: input.shares.length, sharesBackedUp: backedUp.length, oldestBackupAt, reasons };
}
