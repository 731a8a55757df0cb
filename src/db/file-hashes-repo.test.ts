import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRepositories, openDatabase, type Database, type Repositories } from './index.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');

describe('FileHashesRepo', () => {
  let dir: string;
  let db: Database;
  let repos: Repositories;
  let shareA: number;
  let shareB: number;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-hashes-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
    repos = createRepositories(db);
    const createdAt = new Date().toISOString();
    const userId = repos.users.insertPending({ username: 'alice', isAdmin: false, activationTokenHash: 'h', activationExpiresAt: createdAt, createdAt });
    shareA = repos.shares.insert({ userId, name: 'backup', syncEnabled: true, createdAt });
    shareB = repos.shares.insert({ userId, name: 'data', syncEnabled: false, createdAt });
  });

  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, updates and deletes hashes per share', () => {
    repos.fileHashes.upsertMany(shareA, [
      { relPath: 'a.txt', size: 1, mtimeMs: 1000, sha256: sha(1) },
      { relPath: 'dir/b.txt', size: 2, mtimeMs: 2000, sha256: sha(2) },
    ]);
    repos.fileHashes.upsertMany(shareB, [{ relPath: 'a.txt', size: 9, mtimeMs: 9000, sha256: sha(9) }]);
    repos.fileHashes.upsertMany(shareA, [{ relPath: 'a.txt', size: 3, mtimeMs: 3000, sha256: sha(3) }]);

    assert.deepEqual(
      repos.fileHashes.loadForShare(shareA),
      new Map([
        ['a.txt', { size: 3, mtimeMs: 3000, sha256: sha(3) }],
        ['dir/b.txt', { size: 2, mtimeMs: 2000, sha256: sha(2) }],
      ]),
    );
    repos.fileHashes.deleteMany(shareA, ['a.txt', 'not-there']);
    assert.deepEqual([...repos.fileHashes.loadForShare(shareA).keys()], ['dir/b.txt']);
    assert.deepEqual([...repos.fileHashes.loadForShare(shareB).keys()], ['a.txt']);
  });

  it('applies removals before upserts, in one transaction', () => {
    repos.fileHashes.apply(shareA, {
      remove: ['dir/b.txt', 'c.txt'],
      upsert: [
        { relPath: 'c.txt', size: 4, mtimeMs: 4000, sha256: sha(4) },
        { relPath: 'mtime/large.bin', size: 2 ** 40, mtimeMs: 1_763_978_400_123, sha256: sha(5) },
      ],
    });
    assert.deepEqual(
      repos.fileHashes.loadForShare(shareA),
      new Map([
        ['c.txt', { size: 4, mtimeMs: 4000, sha256: sha(4) }],
        ['mtime/large.bin', { size: 2 ** 40, mtimeMs: 1_763_978_400_123, sha256: sha(5) }],
      ]),
    );
  });

  it('writes nothing when part of a batch fails', () => {
    const before = repos.fileHashes.loadForShare(shareA);
    const bad = { relPath: 'x', size: 1, mtimeMs: 1, sha256: null as unknown as string };
    assert.throws(() => repos.fileHashes.apply(shareA, { remove: ['c.txt'], upsert: [{ relPath: 'y', size: 1, mtimeMs: 1, sha256: sha(1) }, bad] }));
    assert.deepEqual(repos.fileHashes.loadForShare(shareA), before);
  });

  it('lists a share\'s rows one at a time, other shares apart', () => {
    repos.fileHashes.upsertMany(shareA, [{ relPath: 'één/ü.txt', size: 7, mtimeMs: 7000, sha256: sha(7) }]);
    repos.fileHashes.upsertMany(shareB, [{ relPath: 'één/ü.txt', size: 8, mtimeMs: 8000, sha256: sha(8) }]);
    const rows = [...repos.fileHashes.rowsForShare(shareA)];
    assert.deepEqual(rows.find((row) => row.relPath === 'één/ü.txt'), { relPath: 'één/ü.txt', size: 7, mtimeMs: 7000, sha256: sha(7) });
    assert.deepEqual(new Map(rows.map(({ relPath, ...hash }) => [relPath, hash])), repos.fileHashes.loadForShare(shareA));
    repos.fileHashes.deleteMany(shareA, ['één/ü.txt']);
    repos.fileHashes.deleteMany(shareB, ['één/ü.txt']);
  });

  it('handles 50,000 rows in one go', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ relPath: `bulk/${i}`, size: i, mtimeMs: i, sha256: sha(i) }));
    repos.fileHashes.upsertMany(shareB, rows);
    assert.equal(repos.fileHashes.loadForShare(shareB).size, 50_001);
    repos.fileHashes.deleteMany(shareB, rows.map((row) => row.relPath));
    assert.equal(repos.fileHashes.loadForShare(shareB).size, 1);
  });
});
