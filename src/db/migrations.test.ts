import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openDatabase } from './database.js';

describe('migration 5', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("renames the peer client's kinds in old sync logs to catalogue codes, and leaves catalogue codes alone", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-migrations-'));
    const dbPath = path.join(dir, 'anemone.db');
    const before = openDatabase(dbPath);
    const insert = before.prepare(
      "INSERT INTO sync_logs (username, share_name, peer_name, started_at, status, error_code) VALUES ('alice', 'backup', 'b', '2026-01-01T00:00:00Z', 'failure', ?)",
    );
    for (const code of ['connection-refused', 'unauthorized', 'session-expired', 'MASS_DELETION_GUARD', null]) insert.run(code);
    // back to schema 4, as a server upgraded from it (undoing 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, then 5)
    before.exec('ALTER TABLE peer_manifests DROP COLUMN cache_version; DROP TABLE file_hash_versions; DROP INDEX incoming_uncommitted_batch; ALTER TABLE incoming_uncommitted DROP COLUMN batch; DROP TABLE incoming_multipart; DROP TABLE share_size_samples; DROP TABLE sync_run_entries; DROP INDEX sync_logs_quiet_days; DROP INDEX sync_logs_changed; ALTER TABLE sync_logs DROP COLUMN files_deleted; DROP TABLE incoming_source_limits; DROP TABLE incoming_snapshots; DROP TABLE incoming_versions; DROP TABLE incoming_objects; DROP INDEX sync_logs_status; DROP TABLE api_tokens; DROP TABLE incoming_resets; ALTER TABLE sync_logs DROP COLUMN attempt; DROP TABLE resumable_uploads; DROP TABLE peer_manifests; DROP TABLE sync_log_files; ALTER TABLE sync_logs DROP COLUMN not_backed_up; DROP TABLE incoming_uncommitted; PRAGMA user_version = 4;');
    before.close();

    const after = openDatabase(dbPath);
    const codes = (after.prepare('SELECT error_code AS code FROM sync_logs ORDER BY id').all() as { code: string | null }[]).map((row) => row.code);
    assert.deepEqual(codes, ['PEER_CONNECTION_REFUSED', 'PEER_UNAUTHORIZED', 'SESSION_INVALID', 'MASS_DELETION_GUARD', null]);
    after.close();
  });
});

describe('migration 9', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives the sync logs written before it attempt 1: they were runs as started', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-migrations-'));
    const dbPath = path.join(dir, 'anemone.db');
    const before = openDatabase(dbPath);
    before.exec('ALTER TABLE peer_manifests DROP COLUMN cache_version; DROP TABLE file_hash_versions; DROP INDEX incoming_uncommitted_batch; ALTER TABLE incoming_uncommitted DROP COLUMN batch; DROP TABLE incoming_multipart; DROP TABLE share_size_samples; DROP TABLE sync_run_entries; DROP INDEX sync_logs_quiet_days; DROP INDEX sync_logs_changed; ALTER TABLE sync_logs DROP COLUMN files_deleted; DROP TABLE incoming_source_limits; DROP TABLE incoming_snapshots; DROP TABLE incoming_versions; DROP TABLE incoming_objects; DROP INDEX sync_logs_status; DROP TABLE api_tokens; DROP TABLE incoming_resets; ALTER TABLE sync_logs DROP COLUMN attempt; PRAGMA user_version = 8;');
    before.exec("INSERT INTO sync_logs (username, share_name, peer_name, started_at, status) VALUES ('alice', 'backup', 'b', '2026-01-01T00:00:00Z', 'failure')");
    before.close();

    const after = openDatabase(dbPath);
    assert.deepEqual(after.prepare('SELECT attempt FROM sync_logs').all(), [{ attempt: 1 }]);
    after.close();
  });
});
