import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sha256Hex } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { writeRestoredFile } from './write-restored-file.js';

let dir: string;
let share: string;
let outside: string;
const content = Buffer.from('restored content');
const expected = { size: content.length, sha256: sha256Hex(content), mtimeMs: Date.UTC(2023, 4, 6, 7, 8, 9) };
const good = async () => Readable.from([content]);
const failing = async () =>
  new Readable({
    read() {
      this.push(content.subarray(0, 5));
      this.destroy(new AnemoneError('RESTORE_VERIFY_FAILED'));
    },
  });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-restore-write-'));
  share = path.join(dir, 'share');
  outside = path.join(dir, 'outside');
  await mkdir(outside, { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const isCode = (code: string) => (error: unknown) => error instanceof AnemoneError && error.code === code;

describe('writing a restored file', () => {
  it('creates the folders, writes the file and gives it the manifest\'s time', async () => {
    const result = await writeRestoredFile({ root: share, relPath: 'a/b/c.txt', expected, open: good });
    assert.deepEqual(result, { bytes: content.length, alreadyThere: false });
    assert.ok((await readFile(path.join(share, 'a', 'b', 'c.txt'))).equals(content));
    assert.equal((await stat(path.join(share, 'a', 'b', 'c.txt'))).mtimeMs, expected.mtimeMs);
  });

  it('leaves the previous version and no temporary file when the stream fails', async () => {
    await mkdir(path.join(share, 'a'), { recursive: true });
    await writeFile(path.join(share, 'a', 'c.txt'), 'previous');
    await assert.rejects(writeRestoredFile({ root: share, relPath: 'a/c.txt', expected, open: failing }), isCode('RESTORE_VERIFY_FAILED'));
    assert.equal(await readFile(path.join(share, 'a', 'c.txt'), 'utf8'), 'previous');
    assert.deepEqual(await readdir(path.join(share, 'a')), ['c.txt']);
  });

  it('downloads nothing when the share already holds the same file, and sets its time', async () => {
    await writeRestoredFile({ root: share, relPath: 'same.txt', expected: { ...expected, mtimeMs: 0 }, open: good });
    const result = await writeRestoredFile({ root: share, relPath: 'same.txt', expected, open: failing });
    assert.deepEqual(result, { bytes: 0, alreadyThere: true });
    assert.equal((await stat(path.join(share, 'same.txt'))).mtimeMs, expected.mtimeMs);
  });

  it('never writes through a symbolic link or out of the share', async () => {
    await mkdir(share, { recursive: true });
    await symlink(outside, path.join(share, 'link'));
    await assert.rejects(writeRestoredFile({ root: share, relPath: 'link/x.txt', expected, open: good }), isCode('RESTORE_UNSAFE_PATH'));
    await assert.rejects(writeRestoredFile({ root: share, relPath: 'link/deeper/x.txt', expected, open: good }), isCode('RESTORE_UNSAFE_PATH'));
    for (const relPath of ['../outside/x.txt', '/etc/x.txt', 'a/./x.txt', 'a\\x.txt', 'a//x.txt']) {
      await assert.rejects(writeRestoredFile({ root: share, relPath, expected, open: good }), isCode('RESTORE_UNSAFE_PATH'), relPath);
    }
    assert.deepEqual(await readdir(outside), []);
  });

  it('replaces a symbolic link at the target itself rather than writing through it', async () => {
    await mkdir(share, { recursive: true });
    await writeFile(path.join(outside, 'victim.txt'), 'untouched');
    await symlink(path.join(outside, 'victim.txt'), path.join(share, 'file.txt'));
    await writeRestoredFile({ root: share, relPath: 'file.txt', expected, open: good });
    assert.equal(await readFile(path.join(outside, 'victim.txt'), 'utf8'), 'untouched');
    assert.ok((await readFile(path.join(share, 'file.txt'))).equals(content));
  });

  it('never takes a link or a FIFO at the target for the file already there: it is replaced, the link target untouched', async () => {
    await mkdir(share, { recursive: true });
    await writeFile(path.join(outside, 'same-bytes.txt'), content);
    await utimes(path.join(outside, 'same-bytes.txt'), 0, 0);
    await symlink(path.join(outside, 'same-bytes.txt'), path.join(share, 'linked.txt'));
    assert.deepEqual(await writeRestoredFile({ root: share, relPath: 'linked.txt', expected, open: good }), { bytes: content.length, alreadyThere: false });
    assert.equal((await lstat(path.join(share, 'linked.txt'))).isFile(), true);
    assert.equal((await stat(path.join(outside, 'same-bytes.txt'))).mtimeMs, 0, 'the time of the link target was not set');

    execFileSync('mkfifo', [path.join(share, 'pipe.txt')]);
    assert.deepEqual(await writeRestoredFile({ root: share, relPath: 'pipe.txt', expected, open: good }), { bytes: content.length, alreadyThere: false });
    assert.ok((await readFile(path.join(share, 'pipe.txt'))).equals(content));
  });

  it('refuses a file where a folder belongs, and a folder where the file goes', async () => {
    await mkdir(path.join(share, 'dir'), { recursive: true });
    await writeFile(path.join(share, 'plain'), 'x');
    await assert.rejects(writeRestoredFile({ root: share, relPath: 'plain/x.txt', expected, open: good }), isCode('RESTORE_UNSAFE_PATH'));
    await assert.rejects(writeRestoredFile({ root: share, relPath: 'dir', expected, open: good }), isCode('RESTORE_UNSAFE_PATH'));
  });
});
