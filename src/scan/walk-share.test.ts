import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { LstatHelper } from './lstat-helper.js';
import { LSTAT_HELPER, walkShare, type WalkResult } from './walk-share.js';

/** The helper on every run of files from the start, as a big share gets it after its first few thousand files. */
const HELPER_ALWAYS = { minBatch: 1, startAfterFiles: 0 } as const;
/**
 * No call counts as slow: a busy machine would otherwise send some calls by
 * callbacks, whose answers come back in any order (the walk's order is then
 * not fixed, with or without the helper).
 */
const NEVER_SLOW = { slowCallMs: 1e9, callbackCalls: 1000 } as const;

/** The walk's result as it came, in its order: files with their size, mtime and inode, then what was skipped and unread. */
function inOrder(result: WalkResult): string[] {
  return [
    ...result.files.map((file) => `file ${file.relPath} ${file.size} ${file.mtimeMs} ${file.ino}`),
    ...result.skipped.map((entry) => `skipped ${entry.relPath} ${entry.reason} ${entry.detail ?? ''}`),
    ...result.unread.map((relPath) => `unread ${relPath}`),
  ];
}

describe('walkShare with the lstat helper (a second thread stating files)', () => {
  let root: string;
  let helper: LstatHelper;
  /** The helper on every run of files, already running (a walk's own starts while the walk goes on). */
  let helperAlways: { minBatch: number; startAfterFiles: number; running: LstatHelper };

  before(async () => {
    helper = new LstatHelper();
    // the thread is unref'd: something must keep the event loop alive until it runs
    const keepAlive = setInterval(() => undefined, 1000);
    await helper.online;
    clearInterval(keepAlive);
    helperAlways = { ...HELPER_ALWAYS, running: helper };
  });

  after(() => helper.close());

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'anemone-walk-helper-'));
    for (let folder = 0; folder < 6; folder++) {
      const dir = path.join(root, `folder-${folder}`);
      mkdirSync(path.join(dir, 'sub'), { recursive: true });
      for (let file = 0; file < 150; file++) writeFileSync(path.join(dir, file % 5 === 0 ? 'sub' : '', `file-${file}.bin`), 'x'.repeat(file));
      symlinkSync(path.join(dir, 'file-1.bin'), path.join(dir, 'link-to-file'));
      writeFileSync(path.join(dir, '.hidden'), 'x');
    }
    execFileSync('mkfifo', [path.join(root, 'folder-0', 'a-fifo')]);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the same entries in the same order as the walk alone', async () => {
    const alone = await walkShare(root, { lstatHelper: false, switching: NEVER_SLOW });
    // until the helper thread took part (a busy machine may leave a walk this small to the walk's own thread)
    const statedBefore = helper.statedByHelper;
    for (let walk = 0; walk < 20 && helper.statedByHelper === statedBefore; walk++) {
      assert.deepEqual(inOrder(await walkShare(root, { lstatHelper: helperAlways, switching: NEVER_SLOW })), inOrder(alone));
    }
    assert.ok(helper.statedByHelper > statedBefore, 'the helper thread stated some of the files');
    // a helper the walk starts itself: the same
    const helped = await walkShare(root, { lstatHelper: HELPER_ALWAYS, switching: NEVER_SLOW });
    assert.equal(alone.files.length, 6 * 150);
    assert.deepEqual(
      alone.skipped.map((entry) => entry.reason).sort(),
      [...Array<string>(6).fill('symlink'), 'not-a-regular-file'].sort(),
    );
    assert.deepEqual(inOrder(helped), inOrder(alone));
    // the no-change check's setting (the helper after 5,000 files) leaves a walk this small alone: the same again
    assert.deepEqual(inOrder(await walkShare(root, { lstatHelper: LSTAT_HELPER, switching: NEVER_SLOW })), inOrder(alone));
    assert.deepEqual(inOrder(await walkShare(root, { switching: NEVER_SLOW })), inOrder(alone));
  });

  it('finds the same when every call counts as slow (each batch stops after the first of its own calls)', async () => {
    const alone = await walkShare(root, { lstatHelper: false });
    const switching = await walkShare(root, { lstatHelper: helperAlways, switching: { slowCallMs: -1, callbackCalls: 3 } });
    assert.deepEqual(
      switching.files.map((file) => file.relPath).sort(),
      alone.files.map((file) => file.relPath).sort(),
    );
    assert.equal(switching.files.length, 6 * 150);
  });

  it('refuses a file turned symlink after its folder was listed, reports one deleted as vanished, and lists one turned folder next', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'anemone-walk-outside-'));
    writeFileSync(path.join(outside, 'secret'), 'not part of the share');
    // the same changes, made between the listing of folder-3 and the first lstat of its files, with and without the helper
    const changeAfterListing = (relPath: string): void => {
      if (relPath !== 'folder-3') return;
      const dir = path.join(root, 'folder-3');
      unlinkSync(path.join(dir, 'file-7.bin'));
      symlinkSync(path.join(outside, 'secret'), path.join(dir, 'file-7.bin'));
      unlinkSync(path.join(dir, 'file-8.bin'));
      unlinkSync(path.join(dir, 'file-9.bin'));
      mkdirSync(path.join(dir, 'file-9.bin'));
      writeFileSync(path.join(dir, 'file-9.bin', 'inside.txt'), 'now a folder');
    };
    const undo = (): void => {
      const dir = path.join(root, 'folder-3');
      rmSync(path.join(dir, 'file-7.bin'));
      writeFileSync(path.join(dir, 'file-7.bin'), 'x'.repeat(7));
      writeFileSync(path.join(dir, 'file-8.bin'), 'x'.repeat(8));
      rmSync(path.join(dir, 'file-9.bin'), { recursive: true });
      writeFileSync(path.join(dir, 'file-9.bin'), 'x'.repeat(9));
    };
    try {
      const helped = await walkShare(root, { lstatHelper: helperAlways, switching: NEVER_SLOW, afterListing: changeAfterListing });
      undo();
      const alone = await walkShare(root, { lstatHelper: false, switching: NEVER_SLOW, afterListing: changeAfterListing });

      const relPaths = helped.files.map((file) => file.relPath);
      assert.ok(!relPaths.includes('folder-3/file-7.bin'), 'the link is not walked as a file');
      assert.ok(!relPaths.includes('folder-3/file-9.bin'));
      assert.ok(relPaths.includes('folder-3/file-9.bin/inside.txt'), 'the folder that took the file’s name is listed');
      const reasons = new Map(helped.skipped.map((entry) => [entry.relPath, entry.reason]));
      assert.equal(reasons.get('folder-3/file-7.bin'), 'symlink');
      assert.equal(reasons.get('folder-3/file-8.bin'), 'vanished');
      assert.deepEqual(helped.unread, []);
      // the folder found by lstat is listed where the walk alone lists it: between the same files
      // (the files made again between the runs have new inodes and mtimes: paths and reasons are compared)
      const paths = (result: WalkResult) => [...result.files.map((file) => file.relPath), ...result.skipped.map((entry) => `${entry.relPath} ${entry.reason}`)];
      assert.deepEqual(paths(helped), paths(alone));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
