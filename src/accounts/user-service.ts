import { hashPassword, randomToken, sha256Hex, verifyPassword } from '../crypto/index.js';
import type { Repositories, UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { ShareService } from '../shares/share-service.js';
import type { MasterKeyStore } from './master-key.js';
import { issueUserKey, type UserKeyTexts, userKeyTexts } from './user-keys.js';

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

/**
 * What an activation link did: a new account got its key (shown this once),
 * or an active account got a new password and kept its key.
 */
export type ActivationOutcome = { kind: 'activated'; username: string; encryptionKey: UserKeyTexts } | { kind: 'password-reset'; username: string };

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
    const { activationToken, activationTokenHash, activationExpiresAt } = this.newActivationToken();
    const createdAt = this.now().toISOString();
    const id = this.repos.transaction(() => {
      const userId = this.repos.users.insertPending({ username: input.username, isAdmin: input.isAdmin, activationTokenHash, activationExpiresAt, createdAt });
      this.shares.insertDefaultShares(userId, createdAt);
      return userId;
    });
    await this.shares.createShareFolders(input.username);
    return { user: summariseUser(this.mustFind(id), false), activationToken };
  }

  /**
   * A new link for any user, pending, expired or active; earlier links stop
   * working. An active user keeps their files and key: with the link they
   * only choose a new password (their key is wrapped by the master key, not
   * by the password, so nothing needs the old one).
   */
  issueActivationLink(id: number): { user: UserSummary; activationToken: string } {
    const user = this.mustFind(id);
    const { activationToken, activationTokenHash, activationExpiresAt } = this.newActivationToken();
    this.repos.users.setActivationToken(user.id, { activationTokenHash, activationExpiresAt });
    const awaiting = this.repos.keyRequests.awaitingUserIds().has(user.id);
    return { user: summariseUser(this.mustFind(id), awaiting), activationToken };
  }

  /**
   * Sets the password. A new account gets its key, returned this once (the
   * server keeps it only wrapped by the master key); an active account
   * (a reset link) keeps its key, and every session of it ends.
   */
  async activate(input: { token: string; password: string }): Promise<ActivationOutcome> {
    const tokenHash = sha256Hex(input.token);
    const user = this.repos.users.findByActivationTokenHash(tokenHash);
    if (!user || !user.activationExpiresAt || Date.parse(user.activationExpiresAt) <= this.now().getTime()) {
      throw new AnemoneError('ACTIVATION_INVALID');
    }
    const passwordHash = await hashPassword(input.password);
    if (user.activatedAt !== null) return this.resetWithLink(user, tokenHash, passwordHash);
    const { userKey, wrappedKey, keyCheck } = issueUserKey(this.masterKeys.get(), user.username);
    // re-read inside the transaction: two activations racing with one token must not both succeed
    const activated = this.repos.transaction(() => {
      const current = this.repos.users.findByActivationTokenHash(tokenHash);
      if (current?.id !== user.id || current.activatedAt !== null) return false;
      this.repos.users.activate(user.id, { passwordHash, wrappedKey, keyCheck, activatedAt: this.now().toISOString() });
      return true;
    });
    if (!activated) throw new AnemoneError('ACTIVATION_INVALID');
    return { kind: 'activated', username: user.username, encryptionKey: userKeyTexts(userKey) };
  }

  /**
   * A signed-in user's new password. The current one is checked first (in
   * the sign-in hashing lane); the key is untouched, as it is wrapped by the
   * master key. Every other session of the user ends; the one asking stays.
   */
  async changePassword(input: { userId: number; currentPassword: string; newPassword: string; keptSessionToken: string }): Promise<{ sessionsEnded: number }> {
    const user = this.mustFind(input.userId);
    if (!user.passwordHash || !(await verifyPassword(input.currentPassword, user.passwordHash))) throw new AnemoneError('CURRENT_PASSWORD_WRONG');
    const passwordHash = await hashPassword(input.newPassword);
    const sessionsEnded = this.repos.transaction(() => {
      this.repos.users.setPasswordHash(user.id, passwordHash);
      return this.repos.sessions.deleteForUserExcept(user.id, sha256Hex(input.keptSessionToken));
    });
    return { sessionsEnded };
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

  private resetWithLink(user: UserRow, tokenHash: string, passwordHash: string): ActivationOutcome {
    // the same link used twice at once, or replaced meanwhile: only a link still stored counts
    const reset = this.repos.transaction(() => {
      const current = this.repos.users.findByActivationTokenHash(tokenHash);
      if (current?.id !== user.id) return false;
      this.repos.users.resetWithToken(user.id, passwordHash);
      this.repos.sessions.deleteForUser(user.id);
      return true;
    });
    if (!reset) throw new AnemoneError('ACTIVATION_INVALID');
    return { kind: 'password-reset', username: user.username };
  }

  private newActivationToken(): { activationToken: string; activationTokenHash: string; activationExpiresAt: string } {
    const activationToken = randomToken();
    return {
      activationToken,
      activationTokenHash: sha256Hex(activationToken),
      activationExpiresAt: new Date(this.now().getTime() + ACTIVATION_LIFETIME_MS).toISOString(),
    };
  }

  private mustFind(id: number): UserRow {
    const user = this.repos.users.findById(id);
    if (!user) throw new AnemoneError('NOT_FOUND', { message: 'No such user' });
    return user;
  }
}
