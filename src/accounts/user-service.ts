import { hashPassword, randomToken, sha256Hex } from '../crypto/index.js';
import type { Repositories, UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { ShareService } from '../shares/share-service.js';
import type { MasterKeyStore } from './master-key.js';
import { issueUserKey } from './user-keys.js';

const ACTIVATION_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface UserSummary {
  id: number;
  username: string;
  isAdmin: boolean;
  activated: boolean;
  activationExpiresAt: string | null;
  createdAt: string;
  /** An administrator marked the account as awaiting the key its user kept (after a rebuild without that key). */
  awaitingKey: boolean;
}

function summariseUser(user: UserRow, awaitingKey: boolean): UserSummary {
  return {
    id: user.id,
    username: user.username,
    isAdmin: user.isAdmin,
    activated: user.activatedAt !== null,
    activationExpiresAt: user.activationExpiresAt,
    createdAt: user.createdAt,
    awaitingKey,
  };
}

/** Users: created by an administrator, activated by themselves with a one-time token. */
export class UserService {
  constructor(
    private readonly repos: Pick<Repositories, 'users' | 'sessions' | 'shares' | 'keyRequests' | 'transaction'>,
    private readonly masterKeys: MasterKeyStore,
    private readonly shares: ShareService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): UserSummary[] {
    const awaiting = this.repos.keyRequests.awaitingUserIds();
    return this.repos.users.list().map((user) => summariseUser(user, awaiting.has(user.id)));
  }

  /** The token is returned once; only its hash is stored. */
  async create(input: { username: string; isAdmin: boolean }): Promise<{ user: UserSummary; activationToken: string }> {
    if (this.repos.users.findByUsername(input.username)) throw new AnemoneError('USERNAME_TAKEN');
    const activationToken = randomToken();
    const now = this.now();
    const createdAt = now.toISOString();
    const id = this.repos.transaction(() => {
      const userId = this.repos.users.insertPending({
        username: input.username,
        isAdmin: input.isAdmin,
        activationTokenHash: sha256Hex(activationToken),
        activationExpiresAt: new Date(now.getTime() + ACTIVATION_LIFETIME_MS).toISOString(),
        createdAt,
      });
      this.shares.insertDefaultShares(userId, createdAt);
      return userId;
    });
    await this.shares.createShareFolders(input.username);
    return { user: summariseUser(this.mustFind(id), false), activationToken };
  }

  /**
   * Sets the password and makes the user key. The key is returned this once:
   * the server keeps it only wrapped by the master key.
   */
  async activate(input: { token: string; password: string }): Promise<{ username: string; encryptionKey: string }> {
    const user = this.repos.users.findByActivationTokenHash(sha256Hex(input.token));
    if (!user || user.activatedAt !== null || !user.activationExpiresAt || Date.parse(user.activationExpiresAt) <= this.now().getTime()) {
      throw new AnemoneError('ACTIVATION_INVALID');
    }
    const passwordHash = await hashPassword(input.password);
    const { userKey, wrappedKey, keyCheck } = issueUserKey(this.masterKeys.get(), user.username);
    // re-read inside the transaction: two activations racing with one token must not both succeed
    const activated = this.repos.transaction(() => {
      const current = this.repos.users.findById(user.id);
      if (!current || current.activatedAt !== null) return false;
      this.repos.users.activate(user.id, { passwordHash, wrappedKey, keyCheck, activatedAt: this.now().toISOString() });
      return true;
    });
    if (!activated) throw new AnemoneError('ACTIVATION_INVALID');
    return { username: user.username, encryptionKey: userKey.toString('base64') };
  }

  /**
   * A new password, set on the server by its administrator (`anemone
   * reset-password`): the same hash as sign-ins check, and every session of
   * the user ends. The user key is untouched (it is wrapped by the master key,
   * not by the password).
   */
  async resetPassword(username: string, password: string): Promise<{ sessionsEnded: number }> {
    const user = this.repos.users.findByUsername(username);
    if (!user) throw new AnemoneError('NOT_FOUND', { message: `No user named "${username}"`, hint: 'Check the username: the Users page lists them.' });
    if (user.activatedAt === null) {
      throw new AnemoneError('NOT_FOUND', {
        message: `${username} has not activated the account yet, so it has no password to reset`,
        hint: 'The user chooses a password with the activation link; if it has expired, delete the user and create it again on the Users page.',
      });
    }
    const passwordHash = await hashPassword(password);
    const sessionsEnded = this.repos.transaction(() => {
      this.repos.users.setPasswordHash(user.id, passwordHash);
      return this.repos.sessions.deleteForUser(user.id);
    });
    return { sessionsEnded };
  }

  /** Removes the account and its sessions; the files in its shares stay on disk for the administrator to keep or remove. */
  delete(id: number, actingUserId: number): void {
    if (id === actingUserId) throw new AnemoneError('CANNOT_DELETE_SELF');
    if (!this.repos.users.delete(id)) throw new AnemoneError('NOT_FOUND', { message: 'No such user' });
  }

  private mustFind(id: number): UserRow {
    const user = this.repos.users.findById(id);
    if (!user) throw new AnemoneError('NOT_FOUND', { message: 'No such user' });
    return user;
  }
}
