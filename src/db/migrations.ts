/**
 * Schema versions, applied in order at start; `PRAGMA user_version` records
 * the last one applied. Never edit a released migration: add the next one.
 */
export const migrations: readonly string[] = [
  // 1: server settings, users, sessions, shares
  `
  CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    is_admin              INTEGER NOT NULL DEFAULT 0,
    password_hash         TEXT,
    wrapped_key           TEXT,
    key_check             TEXT,
    activation_token_hash TEXT UNIQUE,
    activation_expires_at TEXT,
    activated_at          TEXT,
    created_at            TEXT NOT NULL
  );

  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);

  CREATE TABLE shares (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    sync_enabled INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (user_id, name)
  );
  `,
];
