import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { MasterKeyStore } from '../accounts/master-key.js';
import { DEFAULT_SHARES } from '../accounts/names.js';
import { SERVER_NAME_SETTING } from '../accounts/setup-service.js';
import { unwrapUserKey, userKeyCheck } from '../accounts/user-keys.js';
import type { Repositories } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { certificateFingerprint, saveIdentity } from '../identity/identity.js';
import { unwrapPeerPassword } from '../peers/peer-password.js';
import { KIT_SETTING_KEYS } from './kit-collect.js';
import { type KitDocument, decodeKitDocument } from './kit-document.js';
import { type KitKey, openKitWithPassphrase } from './kit-envelope.js';
import { saveKitKey } from './kit-key-store.js';

/** Where a rebuild writes: a data directory that was never set up. */
export interface RestoreTarget {
  repos: Pick<Repositories, 'settings' | 'shares' | 'recovery' | 'syncState' | 'transaction'>;
  masterKeys: Pick<MasterKeyStore, 'create'>;
  sharePath: (username: string, shareName: string) => string;
  certsDir: string;
  now?: () => Date;
}

export interface RestoreSummary {
  serverName: string;
  /** The restored certificate's fingerprint: the one peers have bound to this server's name. */
  fingerprint: string;
  users: string[];
  peers: string[];
  shares: number;
  /** Automatic sync stays off after a rebuild until an administrator switches it back on (see `pausedSchedule`). */
  automaticSyncPaused: true;
}

export interface OpenedKit {
  document: KitDocument;
  /** Kept wrapped after the rebuild, so the rebuilt server goes on refreshing the copies on its peers. */
  kitKey: KitKey;
}

/** Opens a sealed kit with its passphrase; KIT_INVALID or KIT_PASSPHRASE_WRONG, having changed nothing. */
export async function openRecoveryKit(sealed: Buffer, passphrase: string): Promise<OpenedKit> {
  const { plaintext, kitKey } = await openKitWithPassphrase(sealed, passphrase);
  return { document: decodeKitDocument(plaintext), kitKey };
}

/** ALREADY_SET_UP unless the target was never set up and holds no user and no peer. */
export function assertRestorable(repos: RestoreTarget['repos']): void {
  if (repos.settings.get(SERVER_NAME_SETTING) !== undefined || !repos.recovery.isEmpty()) {
    throw new AnemoneError('ALREADY_SET_UP', {
      message: 'This data directory already holds a server; a rebuild writes only into a new, empty one',
      hint: 'Stop the server, move its data directory away (keep it until the rebuild is checked), and run the rebuild again.',
    });
  }
}

/**
 * Makes the target the server the kit describes: its certificate and key,
 * its master key, then every database row in one transaction — users and
 * their shares, peers (with their ids, which their wrapped passwords are
 * bound to), manifest generations, settings, and last the server name, which
 * marks the server as set up. Everything in the kit is checked first, so a
 * kit that does not hang together changes nothing.
 */
export async function restoreServer(target: RestoreTarget, kit: OpenedKit): Promise<RestoreSummary> {
  const { document } = kit;
  assertRestorable(target.repos);
  const masterKey = Buffer.from(document.masterKey, 'base64');
  const fingerprint = checkConsistent(document, masterKey);

  await saveIdentity(target.certsDir, document.identity);
  await target.masterKeys.create(masterKey);
  const { repos } = target;
  const now = (target.now?.() ?? new Date()).toISOString();
  let shareCount = 0;
  repos.transaction(() => {
    assertRestorable(repos);
    const shareIds = new Map<string, number>();
    for (const user of document.users) {
      const userId = repos.recovery.insertUser(user);
      const shares = user.shares.length > 0 ? user.shares : DEFAULT_SHARES;
      for (const share of shares) {
        shareIds.set(`${user.username}/${share.name}`, repos.shares.insert({ userId, name: share.name, syncEnabled: share.syncEnabled, createdAt: user.createdAt }));
        shareCount += 1;
      }
    }
    for (const peer of document.peers) repos.recovery.insertPeer(peer);
    const peerIds = new Set(document.peers.map((peer) => peer.id));
    for (const state of document.syncState) {
      const shareId = shareIds.get(`${state.user}/${state.share}`);
      if (shareId !== undefined && peerIds.has(state.peerId)) repos.syncState.recordGeneration(shareId, state.peerId, state.generation);
    }
    repos.settings.set(KIT_SETTING_KEYS.acceptIncoming, String(document.settings.acceptIncoming));
    if (document.settings.syncPasswordHash) repos.settings.set(KIT_SETTING_KEYS.syncPasswordHash, document.settings.syncPasswordHash);
    repos.settings.set(KIT_SETTING_KEYS.syncSchedule, pausedSchedule(document.settings.syncSchedule));
    saveKitKey(repos.settings, masterKey, { kitKey: kit.kitKey, createdAt: now });
    repos.settings.set(SERVER_NAME_SETTING, document.serverName);
  });

  for (const user of document.users) {
    for (const share of user.shares.length > 0 ? user.shares : DEFAULT_SHARES) {
      await mkdir(target.sharePath(user.username, share.name), { recursive: true });
    }
  }
  return {
    serverName: document.serverName,
    fingerprint,
    users: document.users.map((user) => user.username),
    peers: document.peers.map((peer) => peer.name),
    shares: shareCount,
    automaticSyncPaused: true,
  };
}

/**
 * The kit's sync schedule, switched off. A scheduled sync of a share that a
 * bulk restore has only half filled again would find the other half
 * "deleted" and, under the mass-deletion guard's threshold, delete it on
 * the peer — the very copy being restored from. The administrator switches
 * automatic sync back on once the bulk restore has finished.
 */
function pausedSchedule(kept: string | null): string {
  let schedule: Record<string, unknown> = {};
  try {
    const parsed: unknown = kept ? JSON.parse(kept) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) schedule = parsed as Record<string, unknown>;
  } catch {
    // a damaged value: the scheduler's defaults, switched off
  }
  return JSON.stringify({ ...schedule, enabled: false });
}

/** The kit's certificate fingerprint, once its key pair, users' keys and peers' passwords all open with what it holds. */
function checkConsistent(document: KitDocument, masterKey: Buffer): string {
  const inconsistent = (what: string) => new AnemoneError('KIT_INVALID', { message: `The recovery kit does not hang together: ${what}` });
  try {
    if (!new X509Certificate(document.identity.certPem).checkPrivateKey(createPrivateKey(document.identity.keyPem))) {
      throw inconsistent("its TLS key is not its certificate's");
    }
  } catch (error) {
    if (error instanceof AnemoneError) throw error;
    throw inconsistent('its TLS certificate or key cannot be read');
  }
  for (const user of document.users) {
    let userKey: Buffer;
    try {
      userKey = unwrapUserKey(masterKey, user.username, user.wrappedKey);
    } catch {
      throw inconsistent(`the master key does not open the key of ${user.username}`);
    }
    if (user.keyCheck !== null && userKeyCheck(userKey) !== user.keyCheck) throw inconsistent(`the key of ${user.username} does not match its check value`);
  }
  for (const peer of document.peers) {
    if (peer.wrappedPassword === null) continue;
    try {
      unwrapPeerPassword(masterKey, peer.id, peer.wrappedPassword);
    } catch {
      throw inconsistent(`the master key does not open the password of peer ${peer.name}`);
    }
  }
  return certificateFingerprint(document.identity.certPem);
}
