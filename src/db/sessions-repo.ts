import type { Database } from './database.js';

export interface SessionRow {
  userId: number;
  expiresAt: string;
}

/** Sessions are stored by the SHA-256 of their token, so a leaked database holds no usable cookie. */
export class SessionsRepo {
  constructor(private readonly db: Database) {}

  insert(input: { tokenHash: string; userId: number; createdAt: string; expiresAt: string }): void {
    this.db
      .prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(input.tokenHash, input.userId, input.createdAt, input.expiresAt);
  }

  find(tokenHash: string): SessionRow | undefined {
    return this.db
      .prepare('SELECT user_id AS userId, expires_at AS expiresAt FROM sessions WHERE token_hash = ?')
      .get(tokenHash) as SessionRow | undefined;
  }

  delete(tokenHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }

  /** Signs the user out everywhere; returns how many sessions ended. */
  deleteForUser(userId: number): number {
    return this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId).changes;
  }

  /** Signs the user out everywhere but the session that asked (a password change); returns how many ended. */
  deleteForUserExcept(userId: number, keptTokenHash: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?').run(userId, keptTokenHash).changes;
  }

  deleteExpired(now: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
  }
}
