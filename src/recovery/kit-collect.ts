import type { Repositories } from '../db/index.js';
import type { KitDocument } from './kit-document.js';

/**
 * The server settings a kit carries, by the keys their owners keep them
 * under (incoming/sync-settings.ts, scheduler/schedule-store.ts).
 */
export const KIT_SETTING_KEYS = {
  acceptIncoming: 'accept_incoming',
  syncPasswordHash: 'sync_password_hash',
  syncSchedule: 'sync_schedule',
} as const;

export interface KitSources {
  repos: Pick<Repositories, 'users' | 'shares' | 'peers' | 'recovery' | 'settings'>;
  masterKey: Buffer;
  identity: { certPem: string; keyPem: string };
  serverName: string;
  now: Date;
}

/** This server as a kit document: read from the database in one go, nothing decrypted. */
export function collectKitDocument(sources: KitSources): KitDocument {
  const { repos } = sources;
  const shares = repos.shares.listAll();
  const users = repos.users
    .list()
    .filter((user) => user.activatedAt !== null && user.passwordHash !== null && user.wrappedKey !== null)
    .map((user) => ({
      username: user.username,
      isAdmin: user.isAdmin,
      passwordHash: user.passwordHash as string,
      wrappedKey: user.wrappedKey as string,
      keyCheck: user.keyCheck,
      activatedAt: user.activatedAt as string,
      createdAt: user.createdAt,
      shares: shares.filter((share) => share.userId === user.id).map((share) => ({ name: share.name, syncEnabled: share.syncEnabled })),
    }));
  const kept = new Set(users.map((user) => user.username));
  const passwordHash = repos.settings.get(KIT_SETTING_KEYS.syncPasswordHash);
  return {
    version: 1,
    createdAt: sources.now.toISOString(),
    serverName: sources.serverName,
    identity: { certPem: sources.identity.certPem, keyPem: sources.identity.keyPem },
    masterKey: sources.masterKey.toString('base64'),
    users,
    peers: repos.peers.list().map((peer) => ({
      id: peer.id,
      name: peer.name,
      address: peer.address,
      port: peer.port,
      wrappedPassword: peer.wrappedPassword,
      enabled: peer.enabled,
      timeoutMinutes: peer.timeoutMinutes,
      fingerprint: peer.fingerprint,
      uploadLimitKiBps: peer.uploadLimitKiBps,
      uploadWindows: peer.uploadWindows,
      createdAt: peer.createdAt,
    })),
    syncState: repos.recovery.namedSyncState().filter((state) => kept.has(state.user)),
    settings: {
      acceptIncoming: repos.settings.get(KIT_SETTING_KEYS.acceptIncoming) === 'true',
      syncPasswordHash: passwordHash ? passwordHash : null,
      syncSchedule: repos.settings.get(KIT_SETTING_KEYS.syncSchedule) ?? null,
    },
  };
}
