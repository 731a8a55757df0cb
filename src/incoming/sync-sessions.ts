import { randomToken, sha256Hex } from '../crypto/index.js';

export const SYNC_SESSION_LIFETIME_MS = 60 * 60 * 1000;

interface SyncSession {
  source: string;
  fingerprint: string;
  expiresAt: number;
}

/**
 * Sync sessions, in memory only: the password is checked once (scrypt is
 * slow on purpose) and the token stands for it for an hour, from the same
 * client certificate only. A restart ends every session; sources open a new one.
 * Tokens are kept by their SHA-256, so a heap dump holds none.
 */
export class SyncSessions {
  private readonly sessions = new Map<string, SyncSession>();

  constructor(private readonly now: () => number = Date.now) {}

  open(source: string, fingerprint: string): { token: string; expiresAt: Date } {
    this.pruneExpired();
    const token = randomToken();
    const expiresAt = this.now() + SYNC_SESSION_LIFETIME_MS;
    this.sessions.set(sha256Hex(token), { source, fingerprint, expiresAt });
    return { token, expiresAt: new Date(expiresAt) };
  }

  /** The source of a live session opened from the certificate `fingerprint`, or undefined. */
  sourceFor(token: string, fingerprint: string): string | undefined {
    const key = sha256Hex(token);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session.fingerprint === fingerprint ? session.source : undefined;
  }

  /** Ends every session of `source` (its certificate changed). */
  endForSource(source: string): void {
    for (const [key, session] of this.sessions) {
      if (session.source === source) this.sessions.delete(key);
    }
  }

  /** Ends every session (the server password changed: sources must prove they know the new one). */
  endAll(): void {
    this.sessions.clear();
  }

  private pruneExpired(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(key);
    }
  }
}
