/** Restore page, first step: which peers hold the signed-in user's backups, and how fresh each copy is. */
import type { UserRow } from '../db/index.js';
import { PeerError, type StoredShare } from '../peer-client/index.js';
import type { PeerView } from '../peers/peer-service.js';
import type { BackupAccess } from './backup-access.js';
import { describeRestoreError, fromPeerError } from './restore-errors.js';

/** A page listing sources waits this long for a peer, not the peer's full sync timeout. */
const LIST_TIMEOUT_MS = 15_000;

export interface BackupSource {
  peerId: number;
  peerName: string;
  share: string;
  fileCount: number;
  /** Bytes the peer stores (encrypted). */
  bytesUsed: number;
  /** The last successful sync of this share to this peer, from this server's own logs. */
  lastSyncAt: string | null;
}

/**
 * A peer that could not be asked: it is listed with the reason rather than
 * failing the whole list, and with what this server knows without it — when
 * the user's shares last synced there — so an offline peer never reads as
 * "no backup".
 */
export interface UnavailableSource {
  peerId: number;
  peerName: string;
  error: { code: string; message: string; hint: string };
  lastSeenAt: string | null;
  syncedShares: { share: string; lastSyncAt: string }[];
}

export async function listBackupSources(access: BackupAccess, user: UserRow): Promise<(BackupSource | UnavailableSource)[]> {
  const { repos, peers } = access.deps;
  const synced = new Map(repos.shares.listForUser(user.id).filter((share) => share.syncEnabled).map((share) => [share.name, share]));
  // disabled peers too: disabling a peer stops syncs to it, and its copy is still the user's backup
  const pinned = peers.list().filter((peer) => peer.fingerprint);
  const perPeer = await Promise.all(
    pinned.map(async (peer): Promise<(BackupSource | UnavailableSource)[]> => {
      let stored: StoredShare[];
      try {
        stored = await listWithin(access, peer);
      } catch (error) {
        const syncedShares = [...synced.values()].flatMap((share) => {
          const lastSyncAt = repos.lastSync.lastSuccess(share.id, peer.id);
          return lastSyncAt === undefined ? [] : [{ share: share.name, lastSyncAt }];
        });
        return [{ peerId: peer.id, peerName: peer.name, error: describeRestoreError(error), lastSeenAt: peer.lastSeenAt, syncedShares }];
      }
      return stored
        .filter((held) => held.user === user.username && held.hasManifest && synced.has(held.share))
        .map((held) => ({
          peerId: peer.id,
          peerName: peer.name,
          share: held.share,
          fileCount: held.fileCount,
          bytesUsed: held.bytesUsed,
          lastSyncAt: repos.lastSync.lastSuccess((synced.get(held.share) as { id: number }).id, peer.id) ?? null,
        }));
    }),
  );
  return perPeer.flat();
}

async function listWithin(access: BackupAccess, peer: PeerView): Promise<StoredShare[]> {
  const signal = AbortSignal.timeout(LIST_TIMEOUT_MS);
  try {
    return await access.withClient(peer.id, (client) => client.listShares({ signal }));
  } catch (error) {
    // our own deadline, not a person cancelling: say it timed out
    const timedOut = error instanceof PeerError && error.code === 'PEER_REQUEST_ABORTED' && signal.aborted;
    const peerError = timedOut ? new PeerError('timeout', { peerName: peer.name, address: peer.address, port: peer.port, timeoutMs: LIST_TIMEOUT_MS }) : error;
    throw peerError instanceof PeerError ? fromPeerError(peerError) : peerError;
  }
}
