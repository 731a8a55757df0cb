import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createRepositories, openDatabase, type Database, type FileHash, type Repositories } from '../db/index.js';
import { scanShare, ShareMissingError, walkUnlessUnchanged, type ScanProgress, type ScanResult } from './scan-share.js';
import { walkShare } from './walk-share.js';

/** Files get mtimes well in the past, so the hash cache trusts them (see RACY_WINDOW_MS). */
const OLD = new Date('2024-01-01T00:00:00Z');
const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

describe('scanShare', () => {
  let dbDir: string;
  let db: Database;
  let repos: Repositories;
  let shareId: number;
  let root: string;

  before(() => {
    dbDir = mkdtempSync(path.join(os.tmpdir(), 'anemone-scan-db-'));
    db = openDatabase(path.join(dbDir, 'anemone.db'));
    repos = createRepositories(db);
    const createdAt = new Date().toISOString();
    const userId = repos.users.insertPending({ username: 'alice', isAdmin: false, activationTokenHash: 'h', activationExpiresAt: createdAt, createdAt });
    shareId = repos.shares.insert({ userId, name: 'backup', syncEnabled: true, createdAt });
  });

  after(() => {
    db.close();
    rmSync(dbDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'anemone-scan-share-'));
    repos.fileHashes.deleteMany(shareId, repos.fileHashes.loadForShare(shareId).keys());
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function put(relPath: string, content: string | Buffer, mtime: Date = OLD): void {
    const target = path.join(root, ...relPath.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    utimesSync(target, mtime, mtime);
  }

  function scan(
    options: { onProgress?: (progress: ScanProgress) => void; now?: () => number; signal?: AbortSignal; peerEntry?: (relPath: string) => FileHash | undefined } = {},
  ): Promise<ScanResult> {
    return scanShare(root, { shareId, hashes: repos.fileHashes, ...options });
  }

  it('lists nested files with size, mtime and SHA-256, and caches them', async () => {
    put('top.txt', 'top');
    put('a/b/c/deep.txt', 'deep');
    put('empty', '');
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    put('big.bin', big);

    const result = await scan();
    assert.deepEqual(
      result.files,
      new Map([
        ['top.txt', { size: 3, mtimeMs: OLD.getTime(), sha256: sha256('top') }],
        ['a/b/c/deep.txt', { size: 4, mtimeMs: OLD.getTime(), sha256: sha256('deep') }],
        ['empty', { size: 0, mtimeMs: OLD.getTime(), sha256: sha256('') }],
        ['big.bin', { size: big.length, mtimeMs: OLD.getTime(), sha256: sha256(big) }],
      ]),
    );
    assert.equal(result.hashedCount, 4);
    assert.equal(result.hashedBytes, 7 + big.length);
    assert.deepEqual(result.skipped, []);
    assert.deepEqual(repos.fileHashes.loadForShare(shareId), result.files);
  });

  it('hashes nothing when nothing changed, and only what changed', async () => {
    put('same.txt', 'same');
    put('edited.txt', 'before');
    put('dir/other.txt', 'other');
    await scan();

    const unchanged = await scan();
    assert.equal(unchanged.hashedCount, 0);
    assert.equal(unchanged.hashedBytes, 0);
    assert.equal(unchanged.files.size, 3);

    put('edited.txt', 'after!', new Date(OLD.getTime() + 60_000));
    const edited = await scan();
    assert.equal(edited.hashedCount, 1);
    assert.equal(edited.hashedBytes, 6);
    assert.deepEqual(edited.files.get('edited.txt'), { size: 6, mtimeMs: OLD.getTime() + 60_000, sha256: sha256('after!') });
    assert.deepEqual(repos.fileHashes.loadForShare(shareId).get('edited.txt'), edited.files.get('edited.txt'));
  });

  it("returns the peer's entry for a file when the cache says the same of it, and the cache's otherwise", async () => {
    put('same.txt', 'same');
    put('other.txt', 'other');
    put('ünï/cödé.txt', 'unicode');
    await scan();
    const peers = new Map([
      ['same.txt', { size: 4, mtimeMs: OLD.getTime(), sha256: sha256('same'), ctSha256: 'c'.repeat(64) }],
      ['other.txt', { size: 5, mtimeMs: OLD.getTime(), sha256: sha256('older'), ctSha256: 'd'.repeat(64) }],
      ['ünï/cödé.txt', { size: 7, mtimeMs: OLD.getTime(), sha256: sha256('unicode'), ctSha256: 'e'.repeat(64) }],
    ]);
    const result = await scan({ peerEntry: (relPath) => peers.get(relPath) });
    assert.equal(result.hashedCount, 0);
    assert.equal(result.files.get('same.txt'), peers.get('same.txt'));
    assert.equal(result.files.get('ünï/cödé.txt'), peers.get('ünï/cödé.txt'));
    assert.deepEqual(result.files.get('other.txt'), { size: 5, mtimeMs: OLD.getTime(), sha256: sha256('other') });
    // the cache keeps every row: each served this scan, whichever object the scan returned
    assert.equal(repos.fileHashes.loadForShare(shareId).size, 3);
  });

  it('replaces the cached file by the files of a folder that took its name', async () => {
    put('thing', 'a file');
    await scan();
    rmSync(path.join(root, 'thing'));
    put('thing/inside.txt', 'now a folder');
    const result = await scan();
    assert.deepEqual([...result.files.keys()], ['thing/inside.txt']);
    assert.deepEqual([...repos.fileHashes.loadForShare(shareId).keys()], ['thing/inside.txt']);
  });

  it('rehashes a file whose mtime alone changed', async () => {
    put('touched.txt', 'content');
    await scan();
    const later = new Date(OLD.getTime() + 2000);
    utimesSync(path.join(root, 'touched.txt'), later, later);
    const result = await scan();
    assert.equal(result.hashedCount, 1);
    assert.deepEqual(result.files.get('touched.txt'), { size: 7, mtimeMs: later.getTime(), sha256: sha256('content') });
  });

  it('drops deleted files from the result and the cache', async () => {
    put('keep.txt', 'keep');
    put('gone/file.txt', 'gone');
    await scan();
    rmSync(path.join(root, 'gone'), { recursive: true });
    const result = await scan();
    assert.deepEqual([...result.files.keys()], ['keep.txt']);
    assert.deepEqual([...repos.fileHashes.loadForShare(shareId).keys()], ['keep.txt']);
  });

  it('leaves hidden files and folders out without reporting them', async () => {
    put('.DS_Store', 'x');
    put('.git/config', 'x');
    put('photos/.thumbnails/t.jpg', 'x');
    put('photos/cat.jpg', 'cat');
    const result = await scan();
    assert.deepEqual([...result.files.keys()], ['photos/cat.jpg']);
    assert.deepEqual(result.skipped, []);
  });

  it('skips symlinks and special files, and reports them', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'anemone-scan-outside-'));
    try {
      writeFileSync(path.join(outside, 'secret.txt'), 'secret');
      put('real.txt', 'real');
      symlinkSync(path.join(root, 'real.txt'), path.join(root, 'link-to-file'));
      symlinkSync(outside, path.join(root, 'link-to-folder'));
      symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
      execFileSync('mkfifo', [path.join(root, 'pipe')]);
      const result = await scan();
      assert.deepEqual([...result.files.keys()], ['real.txt']);
      assert.deepEqual(result.skipped, [
        { relPath: 'dangling', reason: 'symlink' },
        { relPath: 'link-to-file', reason: 'symlink' },
        { relPath: 'link-to-folder', reason: 'symlink' },
        { relPath: 'pipe', reason: 'not-a-regular-file' },
      ]);
      assert.deepEqual(result.unread, []);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('keeps every name: NFC names as they are, others escaped to \\ + the hex of their bytes', async () => {
    put('photos/été/crème brûlée.jpg', 'nfc');
    put('日本語/ファイル.txt', 'nfc too');
    put('cafe\u0301.txt', 'nfd');
    put('back\\slash.txt', 'backslash');
    const latin1 = Buffer.concat([Buffer.from('latin1-'), Buffer.from([0xe9]), Buffer.from('.txt')]);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/`), latin1]), 'not utf-8');
    const result = await scan();
    const hex = (text: string | Buffer) => `\\${Buffer.from(text).toString('hex')}`;
    assert.deepEqual([...result.files.keys()].sort(), [hex('back\\slash.txt'), hex('cafe\u0301.txt'), hex(latin1), 'photos/été/crème brûlée.jpg', '日本語/ファイル.txt'].sort());
    assert.deepEqual(result.skipped, []);
  });

  it('keeps every name in sub-folders too, where names are first read as text: a folder with one name that is not UTF-8 is read again as bytes', async () => {
    const latin1 = Buffer.concat([Buffer.from('latin1-'), Buffer.from([0xe9])]);
    mkdirSync(path.join(root, 'sub', 'ok'), { recursive: true });
    put('sub/plain.txt', 'plain');
    put('sub/\uFFFD real replacement character.txt', 'valid UTF-8');
    put('sub/cafe\u0301.txt', 'nfd');
    writeFileSync(Buffer.concat([Buffer.from(`${root}/sub/`), latin1, Buffer.from('.txt')]), 'not utf-8');
    // a folder whose own name is not UTF-8, holding an ordinary name
    mkdirSync(Buffer.concat([Buffer.from(`${root}/`), latin1]));
    writeFileSync(Buffer.concat([Buffer.from(`${root}/`), latin1, Buffer.from('/inside.txt')]), 'inside');
    const result = await scan();
    const hex = (text: string | Buffer) => `\\${Buffer.from(text).toString('hex')}`;
    assert.deepEqual(
      [...result.files.keys()].sort(),
      [
        'sub/plain.txt',
        'sub/\uFFFD real replacement character.txt',
        `sub/${hex('cafe\u0301.txt')}`,
        `sub/${hex(Buffer.concat([latin1, Buffer.from('.txt')]))}`,
        `${hex(latin1)}/inside.txt`,
      ].sort(),
    );
    assert.equal(result.files.get(`${hex(latin1)}/inside.txt`)?.sha256, sha256('inside'));
    assert.deepEqual(result.skipped, []);
    // the same names when the walk lists folders by callbacks
    const byCallbacks = await walkShare(root, { synchronousCalls: false });
    assert.deepEqual(byCallbacks.files.map((file) => file.relPath).sort(), [...result.files.keys()].sort());
  });

  it('skips a file that grows while it is read, and reads it next time', async () => {
    put('growing.log', 'line 1\n');
    put('steady.txt', 'steady');
    const result = await scan({
      // the walk has stat'ed every file; hashing has not started
      onProgress: (progress) => progress.phase === 'hashing' && appendFileSync(path.join(root, 'growing.log'), 'line 2\n'),
    });
    assert.deepEqual([...result.files.keys()], ['steady.txt']);
    assert.deepEqual(result.skipped, [{ relPath: 'growing.log', reason: 'changed-during-scan' }]);
    assert.deepEqual(result.unread, ['growing.log']);
    assert.equal(repos.fileHashes.loadForShare(shareId).has('growing.log'), false);

    utimesSync(path.join(root, 'growing.log'), OLD, OLD);
    const next = await scan();
    assert.deepEqual(next.files.get('growing.log')?.sha256, sha256('line 1\nline 2\n'));
    assert.deepEqual(next.skipped, []);
  });

  it('reports a file deleted or swapped for a symlink after the walk', async () => {
    put('deleted.txt', 'deleted');
    put('swapped.txt', 'swapped');
    const result = await scan({
      onProgress: (progress) => {
        if (progress.phase !== 'hashing') return;
        unlinkSync(path.join(root, 'deleted.txt'));
        unlinkSync(path.join(root, 'swapped.txt'));
        symlinkSync('/etc/hostname', path.join(root, 'swapped.txt'));
      },
    });
    assert.deepEqual(result.files.size, 0);
    assert.deepEqual(result.skipped, [
      { relPath: 'deleted.txt', reason: 'vanished' },
      { relPath: 'swapped.txt', reason: 'symlink' },
    ]);
    assert.deepEqual(result.unread, []);
  });

  it('does not cache a file modified just before it was hashed', async () => {
    put('fresh.txt', 'fresh');
    const mtime = OLD.getTime();
    const racy = await scan({ now: () => mtime + 1000 });
    assert.equal(racy.files.get('fresh.txt')?.sha256, sha256('fresh'));
    assert.equal(repos.fileHashes.loadForShare(shareId).has('fresh.txt'), false);
    assert.equal((await scan({ now: () => mtime + 5000 })).hashedCount, 1);
    assert.equal((await scan()).hashedCount, 0);
  });

  it('reports progress through the phases', async () => {
    put('a.txt', 'a');
    put('b.txt', 'bb');
    const seen: ScanProgress[] = [];
    await scan({ onProgress: (progress) => seen.push(progress) });
    const hashing = seen.find((progress) => progress.phase === 'hashing');
    assert.deepEqual(hashing && { filesSeen: hashing.filesSeen, filesToHash: hashing.filesToHash, bytesToHash: hashing.bytesToHash }, {
      filesSeen: 2,
      filesToHash: 2,
      bytesToHash: 3,
    });
    assert.deepEqual(seen.at(-1), { phase: 'done', filesSeen: 2, filesToHash: 2, bytesToHash: 3, hashedCount: 2, hashedBytes: 3 });
  });

  it('tells a missing share from an empty one', async () => {
    assert.deepEqual((await scan()).files, new Map());
    await assert.rejects(scanShare(path.join(root, 'absent'), { shareId, hashes: repos.fileHashes }), ShareMissingError);
    put('a-file', 'x');
    await assert.rejects(scanShare(path.join(root, 'a-file'), { shareId, hashes: repos.fileHashes }), ShareMissingError);
  });

  it('follows a symlinked share root', async () => {
    put('inside.txt', 'x');
    const link = `${root}-link`;
    symlinkSync(root, link);
    try {
      const result = await scanShare(link, { shareId, hashes: repos.fileHashes });
      assert.deepEqual([...result.files.keys()], ['inside.txt']);
    } finally {
      unlinkSync(link);
    }
  });

  it('stops when aborted, writing nothing', async () => {
    put('a.txt', 'a');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(scan({ signal: controller.signal }), /stop/);
    assert.equal(repos.fileHashes.loadForShare(shareId).size, 0);
  });

  it('reports unreadable files and folders as unread, so the sync keeps their copies', { skip: process.getuid?.() === 0 && 'root reads everything' }, async () => {
    put('locked/inside.txt', 'x');
    put('secret.txt', 'x');
    execFileSync('chmod', ['000', path.join(root, 'locked'), path.join(root, 'secret.txt')]);
    try {
      const result = await scan();
      assert.deepEqual(result.unread, ['locked', 'secret.txt']);
      assert.deepEqual(
        result.skipped.map((entry) => [entry.relPath, entry.reason, entry.detail]),
        [
          ['locked', 'unreadable', 'EACCES'],
          ['secret.txt', 'unreadable', 'EACCES'],
        ],
      );
    } finally {
      execFileSync('chmod', ['755', path.join(root, 'locked')]);
    }
  });

  const scanWith = (options: Partial<Parameters<typeof scanShare>[1]> = {}) => scanShare(root, { shareId, hashes: repos.fileHashes, ...options });
  const putThree = () => {
    for (const relPath of ['a.txt', 'docs/b.txt', 'docs/c.txt']) put(relPath, relPath);
  };
  // the hash cache's version, and the no-change walk against it (issue 15)
  const quick = (cacheVersion: number) => walkUnlessUnchanged(root, { shareId, hashes: repos.fileHashes, cacheVersion });

  it('says at which version the cache lists exactly the files the scan found', async () => {
    putThree();
    const first = await scanWith();
    assert.equal(first.cacheVersion, repos.fileHashes.version(shareId));
    // nothing to write: the same version
    assert.equal((await scanWith()).cacheVersion, first.cacheVersion);
  });

  it('says none when a file is not cached: too recent, or not read at all', async () => {
    putThree();
    put('fresh.txt', 'fresh', new Date());
    assert.equal((await scanWith()).cacheVersion, undefined);
    rmSync(path.join(root, 'fresh.txt'));
    await scanWith();
    put('new.txt', 'new');
    assert.equal((await scanWith({ skipHash: (file) => file.relPath === 'new.txt' })).cacheVersion, undefined);
  });

  it('says none when another write to the cache came between its reading and its writing', async () => {
    putThree();
    await scanWith();
    put('new.txt', 'new');
    const other = { relPath: 'other.txt', size: 1, mtimeMs: 1, sha256: sha256('o') };
    const hashes = Object.assign(Object.create(repos.fileHashes) as typeof repos.fileHashes, {
      apply: (id: number, changes: Parameters<typeof repos.fileHashes.apply>[1]) => {
        repos.fileHashes.upsertMany(id, [other]);
        return repos.fileHashes.apply(id, changes);
      },
    });
    assert.equal((await scanWith({ hashes })).cacheVersion, undefined);
  });

  it('finds nothing to do when every file agrees with the cache at that version', async () => {
    putThree();
    const version = (await scanWith()).cacheVersion ?? -1;
    const outcome = await quick(version);
    assert.equal(outcome.unchanged, true);
    assert.deepEqual(outcome.unchanged && { fileCount: outcome.fileCount, bytes: outcome.bytes }, { fileCount: 3, bytes: 'a.txt'.length + 2 * 'docs/b.txt'.length });
    assert.equal((await quick(version + 1)).unchanged, false, 'another version');
  });

  it('finds nothing to do in a share whose names sort otherwise in UTF-16 than in the cache (UTF-8 bytes), and hands the walk on in its own order', async () => {
    // U+1F600 (a surrogate pair in UTF-16) sorts before U+FF21 there, after it in UTF-8; with ASCII and accented names beside them
    for (const name of ['\u{1F600}.txt', '\uFF21.txt', 'z.txt', 'A.txt', '\u00E9t\u00E9.txt', 'sub/\u{1F600}', 'sub/\uFF21', 'sub-\uE000/x']) put(name, name);
    const version = (await scanWith()).cacheVersion ?? -1;
    const outcome = await quick(version);
    assert.equal(outcome.unchanged, true);
    assert.equal(outcome.unchanged && outcome.fileCount, 8);
    put('sub/\uFF21', 'edited', new Date(OLD.getTime() + 1000));
    const changed = await quick(version);
    assert.equal(changed.unchanged, false);
    const walkOrder = (await walkShare(root)).files.map((file) => file.relPath);
    assert.deepEqual(changed.unchanged ? [] : changed.walk.files.map((file) => file.relPath), walkOrder, 'the walk as it came, not sorted');
  });

  for (const [change, make] of [
    ['a file edited with the same size', () => put('a.txt', 'A.TXT', new Date(OLD.getTime() + 1000))],
    ['a file deleted', () => rmSync(path.join(root, 'a.txt'))],
    ['a file added', () => put('new.txt', 'new')],
    ['a folder renamed', () => renameSync(path.join(root, 'docs'), path.join(root, 'papers'))],
  ] as const) {
    it(`hands the walk on when ${change}`, async () => {
    putThree();
      const version = (await scanWith()).cacheVersion ?? -1;
      make();
      const outcome = await quick(version);
      assert.equal(outcome.unchanged, false);
      assert.deepEqual(outcome.unchanged ? [] : outcome.walk.files.map((file) => file.relPath).sort(), (await walkShare(root)).files.map((file) => file.relPath).sort());
    });
  }
});

describe('walkShare', () => {
  it('finds the same with synchronous calls and with callbacks', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'anemone-walk-'));
    try {
      for (let folder = 0; folder < 20; folder++) {
        mkdirSync(path.join(root, `f${folder}`, 'sub'), { recursive: true });
        for (let file = 0; file < 30; file++) writeFileSync(path.join(root, `f${folder}`, file % 2 ? 'sub' : '', `${file}.txt`), `${folder}/${file}`);
        symlinkSync(root, path.join(root, `f${folder}`, 'loop'));
        writeFileSync(path.join(root, `f${folder}`, '.hidden'), 'x');
      }
      const sorted = (result: Awaited<ReturnType<typeof walkShare>>) => ({
        files: result.files.map((file) => `${file.relPath} ${file.size} ${file.mtimeMs} ${file.ino}`).sort(),
        skipped: result.skipped.map((entry) => `${entry.relPath} ${entry.reason}`).sort(),
      });
      const bySync = sorted(await walkShare(root));
      const byCallbacks = sorted(await walkShare(root, { synchronousCalls: false }));
      // every synchronous call counts as slow: the walk goes back and forth between the two ways
      const switching = sorted(await walkShare(root, { switching: { slowCallMs: -1, callbackCalls: 3 } }));
      const switchingAtOnce = sorted(await walkShare(root, { switching: { slowCallMs: -1, callbackCalls: 0 } }));
      assert.equal(bySync.files.length, 600);
      assert.equal(bySync.skipped.length, 20);
      assert.deepEqual(byCallbacks, bySync);
      assert.deepEqual(switching, bySync);
      assert.deepEqual(switchingAtOnce, bySync);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
