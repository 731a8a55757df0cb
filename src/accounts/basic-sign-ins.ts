import { createHmac, randomBytes } from 'node:crypto';
import type { Repositories, UserRow } from '../db/index.js';

/** How long a verified username and password are believed without hashing again. */
export const BASIC_SIGN_IN_TTL_MS = 10 * 60_000;
/** Verified pairs kept at most (the oldest go first): a bound on memory, far above a family's clients. */
const MAX_KEPT = 1000;

interface Verified {
  userId: number;
  /** The stored hash it was checked against: a new password (any way it was set) makes the entry void. */
  passwordHash: string;
  expiresAt: number;
}

/**
 * HTTP Basic sends the password with every request, and hashing it costs
 * about a second and 128 MiB: a WebDAV client making a hundred requests a
 * minute cannot be hashed each time. A successful check is remembered for a
 * few minutes under an HMAC of the username and password with a key made at
 * start (so neither is held in memory as given, and nothing survives a
 * restart). A remembered pair counts only while the account is still there,
 * activated, and holds the very password hash it was checked against: a
 * password changed, reset (by link or `anemone reset-password`, even from
 * another process), or an account deleted ends it at the next request.
 */
export class BasicSignIns {
  private readonly hmacKey = randomBytes(32);
  private readonly verified = new Map<string, Verified>();
  /** One hash for the same pair asked at once (a client opens several connections with the same password). */
  private readonly checking = new Map<string, Promise<UserRow>>();

  constructor(
    private readonly repos: Pick<Repositories, 'users'>,
    private readonly verifyCredentials: (username: string, password: string) => Promise<UserRow>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = BASIC_SIGN_IN_TTL_MS,
  ) {}

  /** The user when this pair was verified recently and still holds; no hashing. */
  remembered(username: string, password: string): UserRow | undefined {
    const key = this.keyOf(username, password);
    const entry = this.verified.get(key);
    if (!entry) return undefined;
    const user = this.repos.users.findById(entry.userId);
    if (entry.expiresAt <= this.now() || !user || user.username !== username || user.activatedAt === null || user.passwordHash !== entry.passwordHash) {
      this.verified.delete(key);
      return undefined;
    }
    return user;
  }

  /** Hashes and checks the pair (BAD_CREDENTIALS when wrong) and remembers it when right. */
  async verify(username: string, password: string): Promise<UserRow> {
    const key = this.keyOf(username, password);
    const pending = this.checking.get(key);
    if (pending) return pending;
    const check = this.verifyCredentials(username, password).then((user) => {
      if (user.activatedAt !== null && user.passwordHash !== null) this.remember(key, user.id, user.passwordHash);
      return user;
    });
    this.checking.set(key, check);
    try {
      return await check;
    } finally {
      this.checking.delete(key);
    }
  }

  /** Whether this pair is being hashed right now (a second request for it waits instead of counting as another attempt). */
  isBeingChecked(username: string, password: string): boolean {
    return this.checking.has(this.keyOf(username, password));
  }

  private remember(key: string, userId: number, passwordHash: string): void {
    const now = this.now();
    for (const [kept, entry] of this.verified) if (entry.expiresAt <= now) this.verified.delete(kept);
    // Map keeps insertion order: the first key is the oldest
    while (this.verified.size >= MAX_KEPT) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(key, { userId, passwordHash, expiresAt: now + this.ttlMs });
  }

  private keyOf(username: string, password: string): string {
    // length-prefixed: ("a:b", "c") and ("a", "b:c") never share a key
    return createHmac('sha256', this.hmacKey).update(`${username.length}:${username}:${password}`).digest('base64url');
  }
}
