import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from './database.js';
import { PeerManifestsRepo, type PeerManifestHead } from './peer-manifests-repo.js';

const head: PeerManifestHead = { generation: 4, baseBytes: 1000, journalCount: 1, journalBytes: 80, journals: true, cacheVersion: 9 };

describe("PeerManifestsRepo: the source's copy of a peer's manifest, in pieces", () => {
  let dir: string;
  let db: Database;
  let repo: PeerManifestsRepo;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-peer-manifests-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
    db.exec(`INSERT INTO users (id, username, created_at) VALUES (1, 'alice', '2026-01-01T00:00:00Z');
      INSERT INTO shares (id, user_id, name, sync_enabled, created_at) VALUES (1, 1, 'backup', 1, '2026-01-01T00:00:00Z');
      INSERT INTO peers (id, name, address, port, enabled, timeout_minutes, created_at) VALUES (1, 'b', 'b.example', 8443, 1, 60, '2026-01-01T00:00:00Z')`);
    repo = new PeerManifestsRepo(db);
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back the pieces joined in order; a later save with fewer pieces leaves none of the earlier ones', () => {
    repo.save(1, 1, { ...head, manifestPieces: [Buffer.from('{"a":'), Buffer.from('1,"b"'), Buffer.from(':2}')] });
    assert.deepEqual(repo.find(1, 1), { ...head, manifest: Buffer.from('{"a":1,"b":2}') });
    repo.save(1, 1, { ...head, generation: 5, manifestPieces: [Buffer.from('{}')] });
    assert.deepEqual(repo.find(1, 1), { ...head, generation: 5, manifest: Buffer.from('{}') });
    assert.deepEqual(db.prepare('SELECT seq FROM peer_manifest_pieces').all(), [{ seq: 0 }]);
  });

  it('gives the pieces back one by one, in order, and none without a copy', () => {
    repo.save(1, 1, { ...head, manifestPieces: [Buffer.from('{"a":'), Buffer.from('1,"b"'), Buffer.from(':2}')] });
    assert.deepEqual([...repo.pieces(1, 1)], [Buffer.from('{"a":'), Buffer.from('1,"b"'), Buffer.from(':2}')]);
    assert.deepEqual([...repo.pieces(1, 2)], []);
    repo.forget(1, 1);
    assert.deepEqual([...repo.pieces(1, 1)], []);
  });

  it('stores each piece as the iterable yields it, and keeps the previous copy whole when the pieces fail', () => {
    repo.save(1, 1, { ...head, manifestPieces: [Buffer.from('{"kept":true}')] });
    const stored: number[] = [];
    function* failing(): Generator<Buffer> {
      yield Buffer.from('{"x":');
      // the first piece is already in the table, inside the save's transaction
      stored.push((db.prepare('SELECT COUNT(*) AS n FROM peer_manifest_pieces').get() as { n: number }).n);
      throw new Error('serialization failed');
    }
    assert.throws(() => repo.save(1, 1, { ...head, generation: 6, manifestPieces: failing() }), /serialization failed/);
    assert.deepEqual(stored, [1]);
    assert.deepEqual(repo.find(1, 1), { ...head, manifest: Buffer.from('{"kept":true}') });
  });

  it('forgets the pieces with the copy', () => {
    repo.save(1, 1, { ...head, manifestPieces: [Buffer.from('{'), Buffer.from('}')] });
    repo.forget(1, 1);
    assert.equal(repo.find(1, 1), undefined);
    assert.deepEqual(db.prepare('SELECT seq FROM peer_manifest_pieces').all(), []);
  });
});
