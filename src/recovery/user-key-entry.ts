import { sealUserKey, unwrapUserKey } from '../accounts/user-keys.js';
import type { MasterKeyStore } from '../accounts/master-key.js';
import type { Repositories } from '../db/index.js';
import { KEY_TEXT_HINT, parseKeyText } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { KeyCheckOutcome } from './key-check.js';

export interface KeyEntryStatus {
  hasKey: boolean;
  awaitingKey: boolean;
}

export interface KeyEntryResult {
  /** False when the key given already was the account's key. */
  replaced: boolean;
  /** Peers on which the key was seen to open the user's backup. */
  verifiedOn: string[];
  /** Peers that could not be asked. */
  unreachable: string[];
}

/**
 * Restoring without the kit: on a fresh server with the old name, a user
 * enters the key they kept, which replaces the one their new account got.
 * Only for an account an administrator marked as awaiting its key — a key
 * is never swapped silently under existing backups — and only when no peer
 * holding a backup of theirs refuses it (a typo changes nothing).
 */
export class UserKeyEntry {
  constructor(
    private readonly deps: {
      repos: Pick<Repositories, 'users' | 'shares' | 'keyRequests' | 'transaction'>;
      masterKeys: Pick<MasterKeyStore, 'get'>;
      /** Tries the key on the user's backups held by peers. */
      checkOnPeers: (username: string, shares: string[], userKey: Buffer) => Promise<KeyCheckOutcome>;
      now?: () => Date;
    },
  ) {}

  /** An administrator marks `userId` as awaiting their key. */
  requestKey(userId: number): KeyEntryStatus {
    this.mustFind(userId);
    this.deps.repos.keyRequests.request(userId, (this.deps.now?.() ?? new Date()).toISOString());
    return this.status(userId);
  }

  cancelRequest(userId: number): KeyEntryStatus {
    this.mustFind(userId);
    this.deps.repos.keyRequests.clear(userId);
    return this.status(userId);
  }

  status(userId: number): KeyEntryStatus {
    const user = this.mustFind(userId);
    return { hasKey: user.wrappedKey !== null, awaitingKey: this.deps.repos.keyRequests.isAwaiting(userId) };
  }

  async enterKey(userId: number, encryptionKey: string): Promise<KeyEntryResult> {
    const userKey = parseUserKey(encryptionKey);
    const user = this.mustFind(userId);
    const awaiting = this.deps.repos.keyRequests.isAwaiting(userId);
    if (user.wrappedKey !== null && this.isCurrentKey(user.username, user.wrappedKey, userKey)) {
      this.deps.repos.keyRequests.clear(userId);
      return { replaced: false, verifiedOn: [], unreachable: [] };
    }
    if (!awaiting && user.wrappedKey !== null) throw new AnemoneError('KEY_ENTRY_NOT_ALLOWED');
    const shares = this.deps.repos.shares.listForUser(userId).filter((share) => share.syncEnabled).map((share) => share.name);
    const checked = await this.deps.checkOnPeers(user.username, shares, userKey);
    if (checked.opensOn.length === 0 && checked.failsOn.length > 0) {
      throw new AnemoneError('KEY_MISMATCH', { message: `This key does not open your backup on ${checked.failsOn.join(', ')}` });
    }
    const sealed = sealUserKey(this.deps.masterKeys.get(), user.username, userKey);
    const stored = this.deps.repos.transaction(() => {
      // the request may have been withdrawn while the peers were asked
      if (!this.deps.repos.keyRequests.isAwaiting(userId) && this.deps.repos.users.findById(userId)?.wrappedKey !== null) return false;
      this.deps.repos.keyRequests.replaceKey(userId, sealed.wrappedKey, sealed.keyCheck);
      return true;
    });
    if (!stored) throw new AnemoneError('KEY_ENTRY_NOT_ALLOWED');
    return { replaced: true, verifiedOn: checked.opensOn, unreachable: checked.unreachable };
  }

  private isCurrentKey(username: string, wrappedKey: string, userKey: Buffer): boolean {
    try {
      return unwrapUserKey(this.deps.masterKeys.get(), username, wrappedKey).equals(userKey);
    } catch {
      return false;
    }
  }

  private mustFind(userId: number) {
    const user = this.deps.repos.users.findById(userId);
    if (!user) throw new AnemoneError('NOT_FOUND', { message: 'No such user' });
    return user;
  }
}

/** A key as shown at activation, in either form (base64 or grouped). */
function parseUserKey(text: string): Buffer {
  const key = parseKeyText(text);
  if (!key) throw new AnemoneError('VALIDATION_FAILED', { message: 'This is not an encryption key', hint: KEY_TEXT_HINT });
  return key;
}
