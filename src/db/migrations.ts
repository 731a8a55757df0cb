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
  // 2: peers, the sending side's sync state and logs, the receiving side's sources and stats
  `
  CREATE TABLE peers (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    address            TEXT NOT NULL,
    port               INTEGER NOT NULL,
    wrapped_password   TEXT,
    enabled            INTEGER NOT NULL,
    timeout_minutes    INTEGER NOT NULL,
    fingerprint        TEXT,
    remote_server_name TEXT,
    status             TEXT,
    status_message     TEXT,
    last_contact_at    TEXT,
    created_at         TEXT NOT NULL
  );

  -- size + mtime → SHA-256 of a share's files, so an unchanged file is never hashed again
  CREATE TABLE file_hashes (
    share_id INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    rel_path TEXT NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    PRIMARY KEY (share_id, rel_path)
  ) WITHOUT ROWID;

  -- the highest manifest generation this server wrote for a share on a peer
  CREATE TABLE sync_state (
    share_id   INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    peer_id    INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    PRIMARY KEY (share_id, peer_id)
  );

  CREATE TABLE sync_logs (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER,
    username          TEXT NOT NULL,
    share_id          INTEGER,
    share_name        TEXT NOT NULL,
    peer_id           INTEGER,
    peer_name         TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT,
    status            TEXT NOT NULL CHECK (status IN ('running', 'success', 'failure', 'interrupted')),
    file_count        INTEGER NOT NULL DEFAULT 0,
    bytes_transferred INTEGER NOT NULL DEFAULT 0,
    error_code        TEXT,
    error             TEXT,
    hint              TEXT
  );
  CREATE INDEX sync_logs_started ON sync_logs(started_at);
  CREATE INDEX sync_logs_share_status ON sync_logs(share_id, status);

  -- receiving side: a source name is bound to the first certificate that authenticated for it
  CREATE TABLE incoming_sources (
    name                TEXT PRIMARY KEY,
    fingerprint         TEXT NOT NULL,
    pending_fingerprint TEXT,
    created_at          TEXT NOT NULL,
    last_seen_at        TEXT
  );

  CREATE TABLE incoming_shares (
    source           TEXT NOT NULL,
    user             TEXT NOT NULL,
    share            TEXT NOT NULL,
    file_count       INTEGER NOT NULL DEFAULT 0,
    bytes_used       INTEGER NOT NULL DEFAULT 0,
    generation       INTEGER,
    last_received_at TEXT,
    PRIMARY KEY (source, user, share)
  );
  `,
  // 3: users an administrator marked as awaiting the key they kept (a server rebuilt without its recovery kit)
  `
  CREATE TABLE user_key_requests (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    requested_at TEXT NOT NULL
  );
  `,
  // 4: a peer's upload limit (KiB/s, NULL = none) and its weekly timetable (JSON list of windows)
  `
  ALTER TABLE peers ADD COLUMN upload_limit_kibps INTEGER;
  ALTER TABLE peers ADD COLUMN upload_windows TEXT NOT NULL DEFAULT '[]';
  `,
  // 5: receiving side: objects written for a share since its last manifest commit, so an unfinished
  // sync's objects can be removed at the next one (the peer cannot read manifests; see IncomingStore.dropUncommitted);
  // and sync logs' error codes in the catalogue's vocabulary
  `
  CREATE TABLE incoming_uncommitted (
    source   TEXT NOT NULL,
    user     TEXT NOT NULL,
    share    TEXT NOT NULL,
    path     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    -- 1 when the write replaced an object that was there at the last commit: that path is kept
    replaced INTEGER NOT NULL,
    PRIMARY KEY (source, user, share, path)
  ) WITHOUT ROWID;

  -- one vocabulary of error codes: sync logs written before it name the peer client's kinds
  UPDATE sync_logs SET error_code = CASE error_code
      WHEN 'connection-refused' THEN 'PEER_CONNECTION_REFUSED'
      WHEN 'timeout' THEN 'PEER_TIMEOUT'
      WHEN 'name-not-found' THEN 'PEER_NAME_NOT_FOUND'
      WHEN 'unauthorized' THEN 'PEER_UNAUTHORIZED'
      WHEN 'forbidden' THEN 'PEER_FORBIDDEN'
      WHEN 'source-cert-mismatch' THEN 'SOURCE_CERT_MISMATCH'
      WHEN 'certificate-changed' THEN 'PEER_CERTIFICATE_CHANGED'
      WHEN 'rate-limited' THEN 'PEER_RATE_LIMITED'
      WHEN 'payload-too-large' THEN 'PAYLOAD_TOO_LARGE'
      WHEN 'insufficient-storage' THEN 'INSUFFICIENT_STORAGE'
      WHEN 'tls-error' THEN 'PEER_TLS_ERROR'
      WHEN 'protocol-error' THEN 'PEER_PROTOCOL_ERROR'
      WHEN 'not-found' THEN 'PEER_NOT_FOUND'
      WHEN 'hash-mismatch' THEN 'HASH_MISMATCH'
      WHEN 'path-invalid' THEN 'PATH_INVALID'
      WHEN 'session-expired' THEN 'SESSION_INVALID'
      WHEN 'connection-lost' THEN 'PEER_CONNECTION_LOST'
      WHEN 'aborted' THEN 'PEER_REQUEST_ABORTED'
      WHEN 'not-pinned' THEN 'PEER_NOT_PINNED'
      ELSE error_code END
    WHERE error_code GLOB '*-*' OR error_code IN ('timeout', 'unauthorized', 'forbidden', 'aborted');
  `,
  // 6: the files a sync run left out (unreadable, refused by the peer…): the total, and the first ones with why
  `
  ALTER TABLE sync_logs ADD COLUMN not_backed_up INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE sync_log_files (
    log_id   INTEGER NOT NULL REFERENCES sync_logs(id) ON DELETE CASCADE,
    rel_path TEXT NOT NULL,
    reason   TEXT NOT NULL
  );
  CREATE INDEX sync_log_files_log ON sync_log_files(log_id);
  `,
  // 7: the source's own copy of the manifest it last wrote to (or read from) each peer, so a sync
  // needs only the peer's generation, and sends deltas; plaintext, like the share itself on this server
  `
  CREATE TABLE peer_manifests (
    share_id      INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    peer_id       INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
    generation    INTEGER NOT NULL,
    manifest      BLOB NOT NULL,
    base_bytes    INTEGER NOT NULL,
    journal_count INTEGER NOT NULL,
    journal_bytes INTEGER NOT NULL,
    journals      INTEGER NOT NULL,
    PRIMARY KEY (share_id, peer_id)
  );
  `,
  // 8: resumable uploads of large files, one row per file being sent to a peer: the version's salt (not secret: key = HKDF(user key, salt, identity),
  // the key itself is never stored), the upload id the peer knows it by, the source file's identity when it began
  `
  CREATE TABLE resumable_uploads (
    share_id   INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    peer_id    INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,
    rel_path   TEXT NOT NULL,
    upload_id  TEXT NOT NULL,
    salt       BLOB NOT NULL,
    size       INTEGER NOT NULL,
    mtime_ms   REAL NOT NULL,
    inode      TEXT NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (share_id, peer_id, rel_path)
  ) WITHOUT ROWID;
  `,
  // 9: which attempt a run is: 1 for a run as started, 2 and up for the automatic retries of a failed scheduled run
  `
  ALTER TABLE sync_logs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
  `,
  // 10: deletions of incoming backups by this server's administrator (a source's, a user's or a share's):
  // a share's incarnation is the id of the last one that covered it, so a source syncing across one is told
  `
  CREATE TABLE incoming_resets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source     TEXT NOT NULL,
    user       TEXT,
    share      TEXT,
    deleted_at TEXT NOT NULL
  );
  CREATE INDEX incoming_resets_source ON incoming_resets(source);
  `,
  // 11: API tokens for scripts and scrapers (GET /metrics): only the SHA-256 of a token is kept, never the token;
  // and runs counted by status on every scrape without reading each row
  `
  CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE INDEX sync_logs_status ON sync_logs(status);
  `,
  // 12: the receiving side keeps history (a backup, not a mirror): the current objects with their ciphertext SHA-256,
  // the versions they replaced (files under incoming/<source>/.history/), every manifest commit as a snapshot,
  // and each source's retention and quota overrides (NULL = the server's setting, no quota)
  `
  CREATE TABLE incoming_objects (
    source    TEXT NOT NULL,
    user      TEXT NOT NULL,
    share     TEXT NOT NULL,
    path      TEXT NOT NULL,
    ct_sha256 TEXT NOT NULL,
    size      INTEGER NOT NULL,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (source, user, share, path)
  ) WITHOUT ROWID;

  CREATE TABLE incoming_versions (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    user          TEXT NOT NULL,
    share         TEXT NOT NULL,
    stored_path   TEXT NOT NULL,
    ct_sha256     TEXT NOT NULL,
    size          INTEGER NOT NULL,
    stored_at     TEXT NOT NULL,
    superseded_at TEXT NOT NULL,
    file          TEXT NOT NULL
  );
  CREATE INDEX incoming_versions_path ON incoming_versions(source, user, share, stored_path, ct_sha256);

  -- one row per manifest or delta a source committed; history_file NULL while it sits in the current layout
  CREATE TABLE incoming_snapshots (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    user          TEXT NOT NULL,
    share         TEXT NOT NULL,
    generation    INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('full', 'delta')),
    committed_at  TEXT NOT NULL,
    superseded_at TEXT,
    file_count    INTEGER,
    bytes         INTEGER,
    size          INTEGER NOT NULL,
    history_file  TEXT
  );
  CREATE INDEX incoming_snapshots_share ON incoming_snapshots(source, user, share, generation);

  CREATE TABLE incoming_source_limits (
    source             TEXT PRIMARY KEY,
    keep_versions_days INTEGER,
    max_bytes          INTEGER
  );
  `,
  // 13: sync history: the files each run sent and deleted (capped per run; the skipped ones stay in sync_log_files),
  // the run's count of deletions, and one sample of each share's size per day for the overview's chart.
  // Paths are the user's plaintext names: this table lives on the source server only, like the share itself.
  `
  ALTER TABLE sync_logs ADD COLUMN files_deleted INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE sync_run_entries (
    log_id   INTEGER NOT NULL REFERENCES sync_logs(id) ON DELETE CASCADE,
    action   TEXT NOT NULL CHECK (action IN ('sent', 'deleted')),
    rel_path TEXT NOT NULL,
    bytes    INTEGER
  );
  CREATE INDEX sync_run_entries_log ON sync_run_entries(log_id);
  -- the sync log folds runs that changed nothing per day, share and peer (sync-history-repo.ts, QUIET there):
  -- this index holds only those runs, already grouped, so a schedule of 96 runs a day stays cheap to fold
  CREATE INDEX sync_logs_quiet_days ON sync_logs(substr(started_at, 1, 10), username, share_name, peer_name)
    WHERE status = 'success' AND file_count = 0 AND files_deleted = 0 AND not_backed_up = 0;
  -- and the other runs, each a line of its own: read without scanning the quiet ones
  CREATE INDEX sync_logs_changed ON sync_logs(username, share_name, peer_name)
    WHERE NOT (status = 'success' AND file_count = 0 AND files_deleted = 0 AND not_backed_up = 0);

  CREATE TABLE share_size_samples (
    share_id INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    files    INTEGER NOT NULL,
    bytes    INTEGER NOT NULL,
    PRIMARY KEY (share_id, day)
  ) WITHOUT ROWID;
  `,
  // 14: the S3 incoming store's multipart uploads in flight: a source's resumable upload (kind 'resumable',
  // its parts' ETags kept to complete it) or a large single upload (kind 'put', aborted at start if a crash left it)
  `
  CREATE TABLE incoming_multipart (
    key          TEXT NOT NULL,
    s3_upload_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('resumable', 'put')),
    source       TEXT NOT NULL,
    user         TEXT NOT NULL,
    share        TEXT NOT NULL,
    stored_path  TEXT NOT NULL,
    upload_id    TEXT,
    size         INTEGER NOT NULL,
    bytes        INTEGER NOT NULL DEFAULT 0,
    parts        TEXT NOT NULL DEFAULT '[]',
    touched_at   TEXT NOT NULL,
    PRIMARY KEY (s3_upload_id)
  );
  CREATE INDEX incoming_multipart_path ON incoming_multipart(source, user, share, stored_path);
  `,
  // 15: a batch's new files are written straight at their final names (src/incoming/batch-writer.ts): each is
  // recorded with its batch before it is opened, the mark cleared once the batch is stored and counted; a mark
  // left at start means a crash interrupted that batch, whose files are then removed (they may be incomplete)
  `
  ALTER TABLE incoming_uncommitted ADD COLUMN batch TEXT;
  CREATE INDEX incoming_uncommitted_batch ON incoming_uncommitted(batch) WHERE batch IS NOT NULL;
  `,
  // 16: a version of each share's hash cache, bumped by every write to it, and beside the source's copy of a
  // peer's manifest the version at which the cache listed exactly that manifest's files: a run whose walk agrees
  // with the cache at that version, against a peer still at that generation, has nothing to do (issue 15)
  `
  CREATE TABLE file_hash_versions (
    share_id INTEGER PRIMARY KEY REFERENCES shares(id) ON DELETE CASCADE,
    version  INTEGER NOT NULL
  );
  ALTER TABLE peer_manifests ADD COLUMN cache_version INTEGER;
  `,
  // 17: the source's copy of a peer's manifest is kept in pieces of about 1 MiB, written one by one as the run's
  // state is serialized: one BLOB of the whole manifest (44 MB at 200,000 files) was joined in memory first, and
  // SQLite copied it twice more while it was inserted (issue 15: the sender's peak at the end of a first sync)
  `
  CREATE TABLE peer_manifest_pieces (
    share_id INTEGER NOT NULL,
    peer_id  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    bytes    BLOB NOT NULL,
    PRIMARY KEY (share_id, peer_id, seq),
    FOREIGN KEY (share_id, peer_id) REFERENCES peer_manifests(share_id, peer_id) ON DELETE CASCADE
  );
  INSERT INTO peer_manifest_pieces (share_id, peer_id, seq, bytes) SELECT share_id, peer_id, 0, manifest FROM peer_manifests;
  ALTER TABLE peer_manifests DROP COLUMN manifest;
  `,
];
