import type { Database } from './database.js';

/**
 * Users an administrator marked as "awaiting their key": on a server rebuilt
 * without its recovery kit, such a user may enter the key they kept, which
 * then replaces the one their new account was given (table `user_key_requests`).
 */
export class KeyRequestsRepo {
  constructor(private readonly db: Database) {}

  request(userId: number, requestedAt: string): void {
    this.db
      .prepare('INSERT INTO user_key_requests (user_id, requested_at) VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET requested_at = excluded.requested_at')
      .run(userId, requestedAt);
  }

  isAwaiting(userId: number): boolean {
    return this.db.prepare('SELECT 1 FROM user_key_requests WHERE user_id = ?').get(userId) !== undefined;
  }

  /** Every user awaiting their key, for the user list. */
  awaitingUserIds(): Set<number> {
    const rows = this.db.prepare('SELECT user_id AS userId FROM user_key_requests').all() as { userId: number }[];
    return new Set(rows.map((row) => row.userId));
  }

  /** Ends the request; true when there was one. */
  clear(userId: number): boolean {
    return this.db.prepare('DELETE FROM user_key_requests WHERE user_id = ?').run(userId).changes === 1;
  }

  /** Stores the user's key (wrapped by the master key) and its check value, ending the request, in one statement group. */
  replaceKey(userId: number, wrappedKey: string, keyCheck: string): void {
    this.db.prepare('UPDATE users SET wrapped_key = ?, key_check = ? WHERE id = ?').run(wrappedKey, keyCheck, userId);
    this.clear(userId);
  }
}
