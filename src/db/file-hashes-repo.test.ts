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

  it("bumps a share's version with every write that changes a row, and only then", () => {
    const v0 = repos.fileHashes.version(shareA);
    const otherShare = repos.fileHashes.version(shareB);
    repos.fileHashes.upsertMany(shareA, [{ relPath: 'v.txt', size: 1, mtimeMs: 1, sha256: sha(1) }]);
    assert.equal(repos.fileHashes.version(shareA), v0 + 1);
    // the same row again (a second peer's run caching what the first one did), or a path that is not there: no change
    repos.fileHashes.upsertMany(shareA, [{ relPath: 'v.txt', size: 1, mtimeMs: 1, sha256: sha(1) }]);
    repos.fileHashes.deleteMany(shareA, ['not-there']);
    assert.equal(repos.fileHashes.version(shareA), v0 + 1);
    for (const changed of [{ size: 2, mtimeMs: 1, sha256: sha(1) }, { size: 2, mtimeMs: 2, sha256: sha(1) }, { size: 2, mtimeMs: 2, sha256: sha(2) }]) {
      const before = repos.fileHashes.version(shareA);
      repos.fileHashes.upsertMany(shareA, [{ relPath: 'v.txt', ...changed }]);
      assert.equal(repos.fileHashes.version(shareA), before + 1, JSON.stringify(changed));
    }
    const written = repos.fileHashes.apply(shareA, { remove: ['v.txt'], upsert: [] });
    assert.equal(written.to, written.from + 1);
    assert.equal(repos.fileHashes.version(shareB), otherShare);
  });

  it('gives the version only when every row of the share agrees and none is missing', () => {
    repos.fileHashes.upsertMany(shareA, [
      { relPath: 'w/1', size: 1, mtimeMs: 10, sha256: sha(1) },
      { relPath: 'w/2', size: 2, mtimeMs: 20, sha256: sha(2) },
    ]);
    const rows = new Map([...repos.fileHashes.rowsForShare(shareA)].map((row) => [row.relPath, row]));
    const agrees = ([relPath, size, mtimeMs, sha256]: readonly [string, number, number, string?]) =>
      rows.get(relPath)?.size === size && rows.get(relPath)?.mtimeMs === mtimeMs && (sha256 === undefined || rows.get(relPath)?.sha256 === sha256);
    const version = repos.fileHashes.version(shareA);
    assert.equal(repos.fileHashes.versionIfEvery(shareA, rows.size, agrees), version);
    assert.equal(repos.fileHashes.versionIfEvery(shareA, rows.size, agrees, { withSha256: true }), version);
    assert.equal(repos.fileHashes.versionIfEvery(shareA, rows.size + 1, agrees), undefined, 'a file the cache does not list');
    assert.equal(repos.fileHashes.versionIfEvery(shareA, rows.size - 1, agrees), undefined, 'a row more than the files');
    assert.equal(repos.fileHashes.versionIfEvery(shareA, rows.size, ([relPath]) => relPath !== 'w/2'), undefined, 'a row that disagrees');
    const seen: (string | undefined)[] = [];
    repos.fileHashes.versionIfEvery(shareA, rows.size, (row) => (seen.push(row[3]), true));
    assert.ok(seen.every((sha256) => sha256 === undefined), 'no SHA-256 unless asked for');
    repos.fileHashes.deleteMany(shareA, ['w/1', 'w/2']);
  });

  it('handles 50,000 rows in one go', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ relPath: `bulk/${i}`, size: i, mtimeMs: i, sha256: sha(i) }));
    repos.fileHashes.upsertMany(shareB, rows);
    assert.equal(repos.fileHashes.loadForShare(shareB).size, 50_001);
    repos.fileHashes.deleteMany(shareB, rows.map((row) => row.relPath));
    assert.equal(repos.fileHashes.loadForShare(shareB).size, 1);
  });
});
