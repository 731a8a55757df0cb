import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openDatabase, type Database } from '../db/index.js';
import { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import { IncomingRepo } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { encodeBatchItemHead } from '../protocol/v1/index.js';
import { ShareHistory } from './share-history.js';
import { FsHistoryFiles } from './fs-history-files.js';
import { FsIncomingStore } from './fs-store.js';
import { TEMP_PREFIX, type WriteStreamFactory, diskWriteStream } from './temp-file.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ref = { source: 'server-b', user: 'alice', share: 'backup' };

/** A disk that fills up: the file is created, then writing to it fails with `code`. */
function fullDisk(code: 'ENOSPC' | 'EDQUOT', options: { failAfterFiles?: number } = {}): WriteStreamFactory {
  let opened = 0;
  return (filePath) => {
    opened += 1;
    if (opened <= (options.failAfterFiles ?? 0)) return diskWriteStream(filePath);
    const fd = openSync(filePath, 'wx');
    writeSync(fd, 'partial');
    closeSync(fd);
    return new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error(`${code}: no space left on device`), { code }));
      },
    });
  };
}

function batchBody(items: { path: string; bytes: Buffer }[]): Readable {
  return Readable.from([Buffer.concat(items.flatMap((item) => [encodeBatchItemHead({ path: item.path, size: item.bytes.length, ctSha256: sha(item.bytes) }), item.bytes]))]);
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name))).sort();
}

const isCode = (expected: string) => (error: unknown) => error instanceof AnemoneError && error.code === expected;

describe('FsIncomingStore', () => {
  let dir: string;
  let db: Database;
  let repo: IncomingRepo;
  let root: string;
  // keepVersionsDays 0: the mirror these tests describe (history has its own tests, share-history.test.ts)
  const store = (createWriteStream?: WriteStreamFactory) =>
    new FsIncomingStore({ root, repo, createWriteStream, history: new ShareHistory({ files: new FsHistoryFiles(root), repo: new IncomingHistoryRepo(db), now: () => new Date(), keepVersionsDays: () => 0 }) });
  const stats = () => repo.listShares('server-b').find((row) => row.user === 'alice' && row.share === 'backup');

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-store-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
    repo = new IncomingRepo(db);
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    root = await mkdtemp(path.join(dir, 'incoming-'));
    repo.deleteShares({ source: 'server-b' });
  });

  it('keeps stats as files are added, replaced and deleted', async () => {
    const incoming = store();
    await incoming.putFile(ref, 'a.enc', Readable.from([Buffer.alloc(100)]), { hex: sha(Buffer.alloc(100)) });
    await incoming.putFile(ref, 'dir/b.enc', Readable.from([Buffer.alloc(50)]), { hex: sha(Buffer.alloc(50)) });
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [2, 150]);
    await incoming.putFile(ref, 'a.enc', Readable.from([Buffer.alloc(10)]), { hex: sha(Buffer.alloc(10)) });
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [2, 60]);
    await incoming.putManifest(ref, Readable.from([Buffer.alloc(5)]), { hex: sha(Buffer.alloc(5)) });
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [2, 65], 'the manifest counts as space, not as a file');
    assert.equal((await incoming.deleteFiles(ref, ['dir/b.enc', 'missing.enc'])).deleted, 1);
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [1, 15]);
    assert.equal(stats()?.generation, null);
    assert.ok(stats()?.lastReceivedAt);
    assert.deepEqual(await filesUnder(path.join(root, 'server-b')), ['alice/backup/_manifest.json.enc', 'alice/backup/a.enc']);
  });

  for (const code of ['ENOSPC', 'EDQUOT'] as const) {
    it(`answers a full disk (${code}) with 507 and keeps the old version`, async () => {
      const old = Buffer.from('old version');
      await store().putFile(ref, 'photos/cat.jpg.enc', Readable.from([old]), { hex: sha(old) });
      await store().putManifest(ref, Readable.from([old]), { hex: sha(old) });
      const before = stats();

      const full = store(fullDisk(code));
      const fresh = Buffer.alloc(64 * 1024, 1);
      await assert.rejects(full.putFile(ref, 'photos/cat.jpg.enc', Readable.from([fresh]), { hex: sha(fresh) }), isCode('INSUFFICIENT_STORAGE'));
      await assert.rejects(full.putManifest(ref, Readable.from([fresh]), { hex: sha(fresh) }), isCode('INSUFFICIENT_STORAGE'));
      await assert.rejects(full.putFile(ref, 'new/dir/x.enc', Readable.from([fresh]), { hex: sha(fresh) }), isCode('INSUFFICIENT_STORAGE'));

      assert.deepEqual(await readFile(path.join(root, 'server-b/alice/backup/photos/cat.jpg.enc')), old);
      assert.deepEqual(await readFile(path.join(root, 'server-b/alice/backup/_manifest.json.enc')), old);
      assert.deepEqual(await filesUnder(path.join(root, 'server-b')), ['alice/backup/_manifest.json.enc', 'alice/backup/photos/cat.jpg.enc'], 'no temporary file, no new folder left');
      assert.deepEqual(stats(), before);
    });
  }

  it('stores nothing of a batch when the disk fills part way', async () => {
    const items = Array.from({ length: 10 }, (_, index) => ({ path: `batch/${index}.enc`, bytes: Buffer.alloc(1000, index) }));
    await assert.rejects(store(fullDisk('ENOSPC', { failAfterFiles: 3 })).putBatch(ref, batchBody(items)), isCode('INSUFFICIENT_STORAGE'));
    assert.deepEqual(await filesUnder(root), []);
    assert.equal(stats(), undefined);

    assert.deepEqual(await store().putBatch(ref, batchBody(items)), { stored: 10 });
    assert.equal((await store().listFiles(ref)).length, 10);
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [10, 10_000]);
  });

  it('counts a path sent twice in one batch once, keeping its last copy', async () => {
    const first = Buffer.from('first');
    const last = Buffer.from('the last copy');
    assert.deepEqual(await store().putBatch(ref, batchBody([{ path: 'x.enc', bytes: first }, { path: 'x.enc', bytes: last }])), { stored: 2 });
    assert.deepEqual(await readFile(path.join(root, 'server-b/alice/backup/x.enc')), last);
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [1, last.length]);
    assert.deepEqual(await filesUnder(root), ['server-b/alice/backup/x.enc']);
  });

  it('removes at the next run what an unfinished run wrote, never what the last commit holds', async () => {
    const put = (incoming: FsIncomingStore, storedPath: string, bytes: Buffer) => incoming.putFile(ref, storedPath, Readable.from([bytes]), { hex: sha(bytes) });
    const committed = Buffer.alloc(100, 1);
    await put(store(), 'kept.enc', committed);
    await put(store(), 'replaced.enc', committed);
    await store().putManifest(ref, Readable.from([Buffer.alloc(5)]), { hex: sha(Buffer.alloc(5)) });
    const afterCommit = stats();

    // a run that wrote new objects, replaced one, and then hit a full disk before its manifest
    const fresh = Buffer.alloc(300, 2);
    await put(store(), 'new/one.enc', fresh);
    await put(store(), 'replaced.enc', fresh);
    await put(store(), 'replaced.enc', fresh); // sent again within the run: still a replacement
    await store().putBatch(ref, batchBody([{ path: 'new/two.enc', bytes: fresh }]));
    await put(store(), 'new/one.enc', fresh); // sent again within the run: still new
    await assert.rejects(put(store(fullDisk('ENOSPC')), 'new/three.enc', fresh), isCode('INSUFFICIENT_STORAGE'));
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [4, 100 + 300 + 5 + 600]);

    assert.deepEqual(await store().dropUncommitted(ref), { removedFiles: 2, removedBytes: 600, deferred: false });
    assert.deepEqual(await filesUnder(path.join(root, 'server-b')), ['alice/backup/_manifest.json.enc', 'alice/backup/kept.enc', 'alice/backup/replaced.enc']);
    assert.deepEqual(await readFile(path.join(root, 'server-b/alice/backup/replaced.enc')), fresh, 'a replaced path keeps its new content');
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [afterCommit?.fileCount, (afterCommit?.bytesUsed ?? 0) + 200]);
    assert.deepEqual(await store().dropUncommitted(ref), { removedFiles: 0, removedBytes: 0, deferred: false }, 'nothing left to remove');
  });

  it('keeps what a manifest committed, and what the source deleted is no longer tracked', async () => {
    const bytes = Buffer.from('object');
    await store().putFile(ref, 'a.enc', Readable.from([bytes]), { hex: sha(bytes) });
    await store().putFile(ref, 'b.enc', Readable.from([bytes]), { hex: sha(bytes) });
    await store().putManifest(ref, Readable.from([bytes]), { hex: sha(bytes) });
    await store().putFile(ref, 'c.enc', Readable.from([bytes]), { hex: sha(bytes) });
    await store().deleteFiles(ref, ['c.enc']);
    assert.deepEqual(await store().dropUncommitted(ref), { removedFiles: 0, removedBytes: 0, deferred: false });
    assert.deepEqual(await filesUnder(path.join(root, 'server-b/alice/backup')), ['_manifest.json.enc', 'a.enc', 'b.enc']);
  });

  it('leaves the cleanup for later while a write to the share still runs', async () => {
    const incoming = store();
    const first = Buffer.from('first');
    await incoming.putFile(ref, 'a.enc', Readable.from([first]), { hex: sha(first) });
    const body = new PassThrough();
    const writing = incoming.putFile(ref, 'b.enc', body, { hex: sha(first) });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await incoming.dropUncommitted(ref), { removedFiles: 0, removedBytes: 0, deferred: true });
    body.end(first);
    await writing;
    assert.deepEqual(await incoming.dropUncommitted(ref), { removedFiles: 2, removedBytes: 10, deferred: false });
    assert.deepEqual(await filesUnder(root), []);
  });

  it("leaves nothing at a final name when a batch's item arrives damaged after new files were written", async () => {
    const kept = Buffer.from('committed');
    await store().putFile(ref, 'old/kept.enc', Readable.from([kept]), { hex: sha(kept) });
    const items = Array.from({ length: 8 }, (_, index) => ({ path: `${index % 2 === 0 ? 'fresh' : 'old'}/${index}.enc`, bytes: Buffer.alloc(2000, index) }));
    const good = batchBody(items).read() as Buffer;
    const damagedBytes = Buffer.alloc(100, 9);
    const damaged = Buffer.concat([encodeBatchItemHead({ path: 'fresh/damaged.enc', size: damagedBytes.length, ctSha256: sha(Buffer.alloc(100, 8)) }), damagedBytes]);
    const before = stats();
    // the good items first, in their own chunk: they are written (the new ones at their final names) before the damaged one arrives
    const body = Readable.from([good, damaged]);
    await assert.rejects(store().putBatch(ref, body), isCode('HASH_MISMATCH'));
    assert.deepEqual(await filesUnder(root), ['server-b/alice/backup/old/kept.enc']);
    assert.deepEqual(repo.listUncommitted(ref), [{ path: 'old/kept.enc', bytes: kept.length, replaced: false }], "the batch's records went with its files");
    assert.deepEqual(stats(), before);
  });

  it('leaves nothing at a final name when a target is refused after new files were written', async () => {
    await mkdir(path.join(root, 'server-b/alice/backup/old'), { recursive: true });
    await symlink(os.tmpdir(), path.join(root, 'server-b/alice/backup/old/link.enc'));
    const items = [...Array.from({ length: 5 }, (_, index) => ({ path: `fresh/${index}.enc`, bytes: Buffer.alloc(500, index) })), { path: 'old/link.enc', bytes: Buffer.alloc(10) }];
    await assert.rejects(store().putBatch(ref, batchBody(items)), isCode('PATH_INVALID'));
    assert.deepEqual(await filesUnder(path.join(root, 'server-b')), []);
    assert.deepEqual(repo.listUncommitted(ref), []);
  });

  for (const folderBefore of [false, true]) {
    it(`never removes a file another write put at a new name between the check and the create (${folderBefore ? 'a folder listed before' : 'a folder the batch made'})`, async () => {
      const theirs = Buffer.from('written meanwhile by another request');
      const race = path.join(root, 'server-b/alice/backup/race');
      if (folderBefore) {
        await mkdir(race, { recursive: true });
        await writeFile(path.join(race, 'other.enc'), 'there before');
      }
      // the other write lands just before this batch's exclusive create of that name (after the folder's names were read)
      const raceDisk: WriteStreamFactory = (filePath) => {
        if (path.basename(filePath) === 'taken.enc') writeFileSync(filePath, theirs);
        return diskWriteStream(filePath);
      };
      const items = [{ path: 'race/free.enc', bytes: Buffer.alloc(10, 1) }, { path: 'race/taken.enc', bytes: Buffer.alloc(10, 2) }];
      await assert.rejects(store(raceDisk).putBatch(ref, batchBody(items)), { code: 'EEXIST' });
      assert.deepEqual(await filesUnder(race), [...(folderBefore ? ['other.enc'] : []), 'taken.enc']);
      assert.deepEqual(await readFile(path.join(race, 'taken.enc')), theirs);
    });
  }

  it('writes new files straight to their names in a folder that was there before, and an existing name through history', async () => {
    const old = Buffer.from('old version');
    await store().putFile(ref, 'old/kept.enc', Readable.from([old]), { hex: sha(old) });
    const opened: string[] = [];
    const watchedDisk: WriteStreamFactory = (filePath) => {
      opened.push(path.relative(path.join(root, 'server-b/alice/backup'), filePath));
      return diskWriteStream(filePath);
    };
    const fresh = Buffer.from('new version');
    const items = ['old/a.enc', 'old/kept.enc', 'old/b.enc', 'new/c.enc'].map((storedPath) => ({ path: storedPath, bytes: fresh }));
    assert.deepEqual(await store(watchedDisk).putBatch(ref, batchBody(items)), { stored: 4 });
    const [direct, temporary] = [opened.filter((file) => !path.basename(file).startsWith(TEMP_PREFIX)), opened.filter((file) => path.basename(file).startsWith(TEMP_PREFIX))];
    assert.deepEqual(direct.sort(), ['new/c.enc', 'old/a.enc', 'old/b.enc'], 'the new names, in the old folder too, with no temporary name');
    assert.deepEqual(temporary.map((file) => path.dirname(file)), ['old'], 'the existing name by a temporary file and a rename');
    assert.deepEqual(await filesUnder(path.join(root, 'server-b/alice/backup')), ['new/c.enc', 'old/a.enc', 'old/b.enc', 'old/kept.enc']);
    assert.deepEqual(await readFile(path.join(root, 'server-b/alice/backup/old/kept.enc')), fresh);
    assert.deepEqual(repo.listUncommitted(ref), [
      { path: 'new/c.enc', bytes: fresh.length, replaced: false },
      { path: 'old/a.enc', bytes: fresh.length, replaced: false },
      { path: 'old/b.enc', bytes: fresh.length, replaced: false },
      { path: 'old/kept.enc', bytes: fresh.length, replaced: false },
    ]);
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [4, fresh.length * 4]);
  });

  it("removes at start the files of a batch a crash interrupted, complete or not, and keeps an acknowledged batch's", async () => {
    const acknowledged = Buffer.from('acknowledged');
    await store().putBatch(ref, batchBody([{ path: 'done/a.enc', bytes: acknowledged }]));
    const before = stats();
    // the disk stalls after three files: the fourth is created at its final name with part of its bytes, and the batch never ends
    let opened = 0;
    const stallingDisk: WriteStreamFactory = (filePath) => {
      opened += 1;
      if (opened <= 3) return diskWriteStream(filePath);
      const fd = openSync(filePath, 'wx');
      writeSync(fd, 'part');
      closeSync(fd);
      return new Writable({ write: () => undefined });
    };
    const items = Array.from({ length: 4 }, (_, index) => ({ path: `crashed/${index}.enc`, bytes: Buffer.alloc(3000, index) }));
    void store(stallingDisk).putBatch(ref, batchBody(items)).catch(() => undefined);
    const shareFolder = path.join(root, 'server-b/alice/backup');
    while ((await filesUnder(path.join(shareFolder, 'crashed'))).length < 4) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal((await readFile(path.join(shareFolder, 'crashed/3.enc'))).toString(), 'part', 'an incomplete file sits at its final name');

    // the server restarts: a new store over the same disk and database
    assert.equal(await store().removeOrphanTemps(), 4);
    assert.deepEqual(await filesUnder(shareFolder), ['done/a.enc']);
    assert.deepEqual(repo.listUncommitted(ref), [{ path: 'done/a.enc', bytes: acknowledged.length, replaced: false }]);
    assert.deepEqual(stats(), before, 'the interrupted batch was never counted');
  });

  it('writes a path that exists through history: the old object is kept, the record says it was replaced', async () => {
    const old = Buffer.from('old version');
    await store().putFile(ref, 'x.enc', Readable.from([old]), { hex: sha(old) });
    await store().putManifest(ref, Readable.from([old]), { hex: sha(old) });
    const fresh = Buffer.from('new version');
    const kept = new FsIncomingStore({ root, repo, history: new ShareHistory({ files: new FsHistoryFiles(root), repo: new IncomingHistoryRepo(db), now: () => new Date(), keepVersionsDays: () => 30 }) });
    assert.deepEqual(await kept.putBatch(ref, batchBody([{ path: 'x.enc', bytes: fresh }, { path: 'y.enc', bytes: fresh }])), { stored: 2 });
    assert.deepEqual(await readFile(path.join(root, 'server-b/alice/backup/x.enc')), fresh);
    assert.deepEqual(repo.listUncommitted(ref), [
      { path: 'x.enc', bytes: fresh.length, replaced: true },
      { path: 'y.enc', bytes: fresh.length, replaced: false },
    ]);
    const history = (await filesUnder(path.join(root, 'server-b'))).filter((file) => !file.startsWith('alice/'));
    assert.equal(history.length, 1, `the old x.enc is kept in history: ${history.join(', ')}`);
    assert.deepEqual(await readFile(path.join(root, 'server-b', history[0] as string)), old);
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [2, fresh.length * 2 + old.length]);
  });

  it('removes temporary files a crash left, and nothing else', async () => {
    const keep = Buffer.from('kept');
    await store().putFile(ref, 'a/b.enc', Readable.from([keep]), { hex: sha(keep) });
    const orphans = ['server-b/alice/backup/.anemone-tmp-aaaa', 'server-b/alice/backup/a/.anemone-tmp-bbbb', 'server-c/.anemone-tmp-cccc'];
    for (const orphan of orphans) {
      await mkdir(path.join(root, path.dirname(orphan)), { recursive: true });
      await writeFile(path.join(root, orphan), 'half written');
    }
    assert.equal(await store().removeOrphanTemps(), 3);
    assert.deepEqual(await filesUnder(root), ['server-b/alice/backup/a/b.enc']);
  });

  it('keeps a journal beside the manifest: a delta needs a manifest, counts as a commit, and the next full manifest drops the journal', async () => {
    const incoming = store();
    const put = (generation: number, bytes: Buffer) => incoming.putManifestDelta(ref, generation, Readable.from([bytes]), { hex: sha(bytes) });
    await assert.rejects(put(2, Buffer.alloc(3)), isCode('NOT_FOUND'));
    await incoming.putManifest(ref, Readable.from([Buffer.alloc(5)]), { hex: sha(Buffer.alloc(5)) }, 1);
    await incoming.putFile(ref, 'a.enc', Readable.from([Buffer.alloc(10)]), { hex: sha(Buffer.alloc(10)) });
    await put(2, Buffer.alloc(3));
    await put(3, Buffer.alloc(4));
    assert.deepEqual(repo.listUncommitted(ref), [], 'a delta commits the objects before it');
    assert.deepEqual(await incoming.journalGenerations(ref), [2, 3]);
    assert.equal(await incoming.currentGeneration(ref), 3);
    assert.deepEqual((await incoming.listFiles(ref)).map((file) => file.path), ['a.enc'], 'the journal is no stored file');
    await assert.rejects(incoming.putFile(ref, '_manifest.d/4.json.enc', Readable.from([Buffer.alloc(1)]), { hex: sha(Buffer.alloc(1)) }), isCode('PATH_INVALID'));
    await incoming.putManifest(ref, Readable.from([Buffer.alloc(6)]), { hex: sha(Buffer.alloc(6)) }, 4);
    assert.deepEqual(await incoming.journalGenerations(ref), []);
    assert.deepEqual([stats()?.fileCount, stats()?.bytesUsed], [1, 16]);
  });
  it('refuses to serve a FIFO planted at a stored name, without hanging on it', async () => {
    const incoming = store();
    await incoming.putFile(ref, 'a.enc', Readable.from([Buffer.alloc(10)]), { hex: sha(Buffer.alloc(10)) });
    execFileSync('mkfifo', [path.join(root, 'server-b', 'alice', 'backup', 'fifo.enc')]);
    await assert.rejects(incoming.openFile(ref, 'fifo.enc'), isCode('PATH_INVALID'));
  });
});
