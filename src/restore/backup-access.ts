/**
 * What every restore starts from: whose backup, which share, which peer,
 * the user's key, a pinned client to the peer, and the checked manifest.
 */
import { unwrapUserKey } from '../accounts/user-keys.js';
import type { ManifestContext } from '../crypto/index.js';
import type { Repositories, ShareRow, UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Logger } from '../logging/logger.js';
import type { Manifest } from '../manifest/manifest.js';
import { PeerError, type PeerClient } from '../peer-client/index.js';
import type { PeerService, PeerView } from '../peers/peer-service.js';
import { fetchBackupManifest } from './backup-manifest.js';
import { ManifestCache, manifestCacheKey } from './manifest-cache.js';
import { fromPeerError } from './restore-errors.js';

export interface RestoreDeps {
  repos: Pick<Repositories, 'users' | 'shares' | 'syncState' | 'lastSync'>;
  masterKeys: { get(): Buffer };
  peers: Pick<PeerService, 'findPeer' | 'list' | 'clientFor'>;
  serverName: () => string;
  sharePath: (username: string, shareName: string) => string;
  logger: Logger;
  /** Whether a sync of this share is running: a restore into it waits (see job-registry.ts). */
  isSyncing?: (username: string, shareName: string) => boolean;
  now?: () => Date;
}

/** One user's backup of one share on one peer. */
export interface BackupRef {
  user: UserRow;
  share: ShareRow;
  peer: PeerView;
  /** A snapshot the peer keeps (its generation) instead of the latest state; its files are fetched by their SHA-256. */
  snapshot?: number | undefined;
}

export class BackupAccess {
  private readonly cache = new ManifestCache();

  constructor(readonly deps: RestoreDeps) {}

  /**
   * The signed-in user's own sync-enabled share on a pinned peer. A disabled
   * peer still counts: disabling stops new syncs to it, not access to what it holds.
   * Anything else is "not found": someone else's share ids and names reveal nothing.
   */
  ownBackup(user: UserRow, peerId: number, shareName: string, snapshot?: number): BackupRef {
    const share = this.deps.repos.shares.listForUser(user.id).find((row) => row.name === shareName && row.syncEnabled);
    if (!share) throw new AnemoneError('NOT_FOUND', { message: `You have no synced share named "${shareName}"` });
    const peer = this.deps.peers.findPeer(peerId);
    if (!peer || !peer.fingerprint) throw new AnemoneError('NOT_FOUND', { message: 'No such peer holds your backups' });
    return { user, share, peer, snapshot };
  }

  userKey(user: UserRow): Buffer {
    if (!user.wrappedKey) throw new AnemoneError('USER_NOT_ACTIVATED', { message: `${user.username} has not activated their account, so there is no key to decrypt with` });
    return unwrapUserKey(this.deps.masterKeys.get(), user.username, user.wrappedKey);
  }

  context(ref: BackupRef): ManifestContext {
    return { sourceServer: this.deps.serverName(), user: ref.user.username, share: ref.share.name };
  }

  /** A pinned client holding the peer's credentials; the caller closes it. */
  client(peerId: number): PeerClient {
    try {
      return this.deps.peers.clientFor(peerId);
    } catch (error) {
      throw error instanceof PeerError ? fromPeerError(error) : error;
    }
  }

  /**
   * The decrypted, checked manifest. `cached` accepts one fetched in the
   * last minute (browsing); a restore job asks the peer afresh. Without a
   * `client`, one is opened for the fetch and closed.
   */
  async manifest(ref: BackupRef, options: { cached: boolean; client?: PeerClient; signal?: AbortSignal }): Promise<Manifest> {
    const key = manifestCacheKey(ref.user.id, ref.share.name, ref.peer.id) + (ref.snapshot === undefined ? '' : `@${ref.snapshot}`);
    const lastGeneration = this.deps.repos.syncState.lastGeneration(ref.share.id, ref.peer.id);
    const hit = options.cached ? this.cache.get(key, lastGeneration) : undefined;
    if (hit) return hit;
    const userKey = this.userKey(ref.user);
    const fetch = (client: PeerClient) =>
      // a snapshot is older than what this server wrote last by design: the rollback check is for the latest state
      ref.snapshot === undefined
        ? fetchBackupManifest({ client, context: this.context(ref), userKey, lastGeneration, signal: options.signal })
        : fetchBackupManifest({ client, context: this.context(ref), userKey, lastGeneration: undefined, signal: options.signal, snapshot: ref.snapshot });
    const manifest = options.client ? await fetch(options.client) : await this.withClient(ref.peer.id, fetch);
    this.cache.set(key, manifest);
    return manifest;
  }

  /** Runs `work` with a fresh client, closed afterwards whatever happens. */
  async withClient<T>(peerId: number, work: (client: PeerClient) => Promise<T>): Promise<T> {
    const client = this.client(peerId);
    try {
      return await work(client);
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}
