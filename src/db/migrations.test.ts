import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openDatabase } from './database.js';
import { PeerManifestsRepo } from './peer-manifests-repo.js';

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
    // back to schema 4, as a server upgraded from it (undoing 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, then 5)
    before.exec("DROP TABLE peer_manifest_pieces; ALTER TABLE peer_manifests ADD COLUMN manifest BLOB NOT NULL DEFAULT X''; ALTER TABLE peer_manifests DROP COLUMN cache_version; DROP TABLE file_hash_versions; DROP INDEX incoming_uncommitted_batch; ALTER TABLE incoming_uncommitted DROP COLUMN batch; DROP TABLE incoming_multipart; DROP TABLE share_size_samples; DROP TABLE sync_run_entries; DROP INDEX sync_logs_quiet_days; DROP INDEX sync_logs_changed; ALTER TABLE sync_logs DROP COLUMN files_deleted; DROP TABLE incoming_source_limits; DROP TABLE incoming_snapshots; DROP TABLE incoming_versions; DROP TABLE incoming_objects; DROP INDEX sync_logs_status; DROP TABLE api_tokens; DROP TABLE incoming_resets; ALTER TABLE sync_logs DROP COLUMN attempt; DROP TABLE resumable_uploads; DROP TABLE peer_manifests; DROP TABLE sync_log_files; ALTER TABLE sync_logs DROP COLUMN not_backed_up; DROP TABLE incoming_uncommitted; PRAGMA user_version = 4;");
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
    before.exec("DROP TABLE peer_manifest_pieces; ALTER TABLE peer_manifests ADD COLUMN manifest BLOB NOT NULL DEFAULT X''; ALTER TABLE peer_manifests DROP COLUMN cache_version; DROP TABLE file_hash_versions; DROP INDEX incoming_uncommitted_batch; ALTER TABLE incoming_uncommitted DROP COLUMN batch; DROP TABLE incoming_multipart; DROP TABLE share_size_samples; DROP TABLE sync_run_entries; DROP INDEX sync_logs_quiet_days; DROP INDEX sync_logs_changed; ALTER TABLE sync_logs DROP COLUMN files_deleted; DROP TABLE incoming_source_limits; DROP TABLE incoming_snapshots; DROP TABLE incoming_versions; DROP TABLE incoming_objects; DROP INDEX sync_logs_status; DROP TABLE api_tokens; DROP TABLE incoming_resets; ALTER TABLE sync_logs DROP COLUMN attempt; PRAGMA user_version = 8;");
    before.exec("INSERT INTO sync_logs (username, share_name, peer_name, started_at, status) VALUES ('alice', 'backup', 'b', '2026-01-01T00:00:00Z', 'failure')");
    before.close();

    const after = openDatabase(dbPath);
    assert.deepEqual(after.prepare('SELECT attempt FROM sync_logs').all(), [{ attempt: 1 }]);
    after.close();
  });
});

describe('migration 17', () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("moves each copy of a peer's manifest into one piece, read back the same; the pieces go with their copy", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-migrations-'));
    const dbPath = path.join(dir, 'anemone.db');
    const before = openDatabase(dbPath);
    // back to schema 16: the copy's JSON in one BLOB of its row
    before.exec("DROP TABLE peer_manifest_pieces; ALTER TABLE peer_manifests ADD COLUMN manifest BLOB NOT NULL DEFAULT X''; PRAGMA user_version = 16;");
    before.exec(`INSERT INTO users (id, username, created_at) VALUES (1, 'alice', '2026-01-01T00:00:00Z');
      INSERT INTO shares (id, user_id, name, sync_enabled, created_at) VALUES (1, 1, 'backup', 1, '2026-01-01T00:00:00Z');
      INSERT INTO peers (id, name, address, port, enabled, timeout_minutes, created_at) VALUES (1, 'b', 'b.example', 8443, 1, 60, '2026-01-01T00:00:00Z')`);
    const json = Buffer.from('{"version":1,"generation":3,"files":{}}');
    before
      .prepare('INSERT INTO peer_manifests (share_id, peer_id, generation, manifest, base_bytes, journal_count, journal_bytes, journals, cache_version) VALUES (1, 1, 3, ?, 100, 2, 50, 1, 7)')
      .run(json);
    before.close();

    const after = openDatabase(dbPath);
    const repo = new PeerManifestsRepo(after);
    assert.deepEqual(repo.find(1, 1), { generation: 3, manifest: json, baseBytes: 100, journalCount: 2, journalBytes: 50, journals: true, cacheVersion: 7 });
    assert.deepEqual(after.prepare('SELECT seq FROM peer_manifest_pieces').all(), [{ seq: 0 }]);
    repo.forget(1, 1);
    assert.equal(repo.find(1, 1), undefined);
    assert.deepEqual(after.prepare('SELECT seq FROM peer_manifest_pieces').all(), []);
    after.close();
  });
});
