import { hashPassword, passwordHashIsCurrent, randomToken, sha256Hex, verifyPassword } from '../crypto/index.js';
import type { Repositories, UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';

export const SESSION_LIFETIME_MS = 2 * 60 * 60 * 1000;
export const REMEMBERED_SESSION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/** Cookie sessions: a random token in the cookie, its SHA-256 in the database. */
export class SessionService {
  /** Compared against when the username does not exist, so timing does not reveal which usernames do. */
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly repos: Pick<Repositories, 'users' | 'sessions'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async login(input: { username: string; password: string; remember: boolean }): Promise<{ token: string; user: UserRow; expiresAt: Date }> {
    const user = await this.verifyCredentials(input.username, input.password);
    return { ...this.startSession(user.id, input.remember), user };
  }

  /** The active user with this username and password (one password hash: slow), or BAD_CREDENTIALS; starts no session. */
  async verifyCredentials(username: string, password: string): Promise<UserRow> {
    const user = this.repos.users.findByUsername(username);
    const storedHash = user?.passwordHash ?? (await this.decoy());
    const passwordMatches = await verifyPassword(password, storedHash);
    if (!user || !user.passwordHash || !passwordMatches) throw new AnemoneError('BAD_CREDENTIALS');
    if (!passwordHashIsCurrent(user.passwordHash)) await this.rewriteHash(user.id, user.passwordHash, password);
    return user;
  }

  /** A new session for a user already verified (a login, or the administrator just made by setup). */
  startSession(userId: number, remember: boolean): { token: string; expiresAt: Date } {
    const token = randomToken();
    const now = this.now();
    const expiresAt = new Date(now.getTime() + (remember ? REMEMBERED_SESSION_LIFETIME_MS : SESSION_LIFETIME_MS));
    this.repos.sessions.deleteExpired(now.toISOString());
    this.repos.sessions.insert({ tokenHash: sha256Hex(token), userId, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString() });
    return { token, expiresAt };
  }

  /** The signed-in user for a cookie token, or undefined when it is unknown or expired. */
  authenticate(token: string): UserRow | undefined {
    const tokenHash = sha256Hex(token);
    const session = this.repos.sessions.find(tokenHash);
    if (!session) return undefined;
    if (Date.parse(session.expiresAt) <= this.now().getTime()) {
      this.repos.sessions.delete(tokenHash);
      return undefined;
    }
    return this.repos.users.findById(session.userId);
  }

  logout(token: string): void {
    this.repos.sessions.delete(sha256Hex(token));
  }

  /** A hash with older parameters (issue 15: less memory, same work), rewritten with today's now that the password is known. */
  private async rewriteHash(userId: number, stored: string, password: string): Promise<void> {
    const rewritten = await hashPassword(password);
    // not if the password changed meanwhile
    if (this.repos.users.findById(userId)?.passwordHash === stored) this.repos.users.setPasswordHash(userId, rewritten);
  }

  private decoy(): Promise<string> {
    const decoy = this.decoyHash ?? hashPassword(randomToken());
    this.decoyHash = decoy;
    return decoy;
  }
}
