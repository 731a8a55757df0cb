import type { Database } from './database.js';

export interface UserRow {
  id: number;
  username: string;
  isAdmin: boolean;
  passwordHash: string | null;
  wrappedKey: string | null;
  keyCheck: string | null;
  activationExpiresAt: string | null;
  activatedAt: string | null;
  createdAt: string;
}

interface RawUser {
  id: number;
  username: string;
  is_admin: number;
  password_hash: string | null;
  wrapped_key: string | null;
  key_check: string | null;
  activation_expires_at: string | null;
  activated_at: string | null;
  created_at: string;
}

const COLUMNS =
  'id, username, is_admin, password_hash, wrapped_key, key_check, activation_expires_at, activated_at, created_at';

function toUser(raw: RawUser): UserRow {
  return {
    id: raw.id,
    username: raw.username,
    isAdmin: raw.is_admin === 1,
    passwordHash: raw.password_hash,
    wrappedKey: raw.wrapped_key,
    keyCheck: raw.key_check,
    activationExpiresAt: raw.activation_expires_at,
    activatedAt: raw.activated_at,
    createdAt: raw.created_at,
  };
}

export class UsersRepo {
  constructor(private readonly db: Database) {}

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  list(): UserRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY username`).all() as RawUser[]).map(toUser);
  }

  findById(id: number): UserRow | undefined {
    const raw = this.db.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?`).get(id) as RawUser | undefined;
    return raw && toUser(raw);
  }

  findByUsername(username: string): UserRow | undefined {
    const raw = this.db.prepare(`SELECT ${COLUMNS} FROM users WHERE username = ?`).get(username) as RawUser | undefined;
    return raw && toUser(raw);
  }

  findByActivationTokenHash(tokenHash: string): UserRow | undefined {
    const raw = this.db
      .prepare(`SELECT ${COLUMNS} FROM users WHERE activation_token_hash = ?`)
      .get(tokenHash) as RawUser | undefined;
    return raw && toUser(raw);
  }

  /** A user who still has to activate their account with the token. */
  insertPending(input: { username: string; isAdmin: boolean; activationTokenHash: string; activationExpiresAt: string; createdAt: string }): number {
    const result = this.db
      .prepare(
        'INSERT INTO users (username, is_admin, activation_token_hash, activation_expires_at, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(input.username, input.isAdmin ? 1 : 0, input.activationTokenHash, input.activationExpiresAt, input.createdAt);
    return Number(result.lastInsertRowid);
  }

  /** A user who is active from the start (the first administrator). */
  insertActive(input: { username: string; isAdmin: boolean; passwordHash: string; wrappedKey: string; keyCheck: string; createdAt: string }): number {
    const result = this.db
      .prepare(
        'INSERT INTO users (username, is_admin, password_hash, wrapped_key, key_check, activated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(input.username, input.isAdmin ? 1 : 0, input.passwordHash, input.wrappedKey, input.keyCheck, input.createdAt, input.createdAt);
    return Number(result.lastInsertRowid);
  }

  /** Activation consumes the token: it can never be used twice. */
  activate(id: number, input: { passwordHash: string; wrappedKey: string; keyCheck: string; activatedAt: string }): void {
    this.db
      .prepare(
        `UPDATE users SET password_hash = ?, wrapped_key = ?, key_check = ?, activated_at = ?,
           activation_token_hash = NULL, activation_expires_at = NULL WHERE id = ?`,
      )
      .run(input.passwordHash, input.wrappedKey, input.keyCheck, input.activatedAt, id);
  }

  /** A new activation link: replaces the earlier one, whose hash no longer matches. */
  setActivationToken(id: number, input: { activationTokenHash: string; activationExpiresAt: string }): void {
    this.db
      .prepare('UPDATE users SET activation_token_hash = ?, activation_expires_at = ? WHERE id = ?')
      .run(input.activationTokenHash, input.activationExpiresAt, id);
  }

  /** An active user's new password through a reset link: the link is consumed, the key columns are untouched. */
  resetWithToken(id: number, passwordHash: string): void {
    this.db
      .prepare('UPDATE users SET password_hash = ?, activation_token_hash = NULL, activation_expires_at = NULL WHERE id = ?')
      .run(passwordHash, id);
  }

  /** A new password set by an administrator on the server (`anemone reset-password`). */
  setPasswordHash(id: number, passwordHash: string): void {
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM users WHERE id = ?').run(id).changes === 1;
  }
}
