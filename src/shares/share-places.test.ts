import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findSharePlace } from './share-places.js';

const parts = (relPath: string) => (relPath === '' ? [] : relPath.split('/').map((part) => Buffer.from(part)));

describe('findSharePlace: a place in a share, never through a link', () => {
  let scratch: string;
  let share: string;
  let outside: string;

  before(async () => {
    // real: the places found are real paths, and the system's temporary folder may be a link itself
    scratch = await realpath(await mkdtemp(path.join(os.tmpdir(), 'anemone-share-places-')));
    share = path.join(scratch, 'share');
    outside = path.join(scratch, 'outside');
    await mkdir(path.join(share, 'photos', '2024'), { recursive: true });
    await mkdir(path.join(outside, 'inner'), { recursive: true });
    await writeFile(path.join(share, 'photos', 'cat.jpg'), 'cat');
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
    await symlink(outside, path.join(share, 'link-out'));
    await symlink(path.join(outside, 'secret.txt'), path.join(share, 'photos', 'linked.txt'));
    await symlink(path.join(scratch, 'nowhere'), path.join(share, 'dangling'));
    execFileSync('mkfifo', [path.join(share, 'pipe')]);
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('finds the share folder, a folder and a file, with their lstat', async () => {
    for (const [relPath, kind] of [['', 'folder'], ['photos/2024', 'folder'], ['photos/cat.jpg', 'file']] as const) {
      const place = await findSharePlace(share, parts(relPath));
      assert.equal(place.kind, 'found', relPath);
      if (place.kind !== 'found') continue;
      assert.equal(place.path, path.join(share, relPath), relPath);
      assert.equal(kind === 'folder' ? place.stats.isDirectory() : place.stats.isFile(), true, relPath);
    }
  });

  it('never goes through a link, on the way or at the end, dangling or not', async () => {
    for (const relPath of ['link-out', 'link-out/inner', 'link-out/secret.txt', 'photos/linked.txt', 'dangling', 'dangling/x']) {
      assert.equal((await findSharePlace(share, parts(relPath))).kind, 'through-link', relPath);
    }
  });

  it('finds nothing where nothing is, below a file, or for a missing share', async () => {
    for (const relPath of ['photos/dog.jpg', 'photos/cat.jpg/inside', 'nothing/at/all']) assert.equal((await findSharePlace(share, parts(relPath))).kind, 'missing', relPath);
    assert.equal((await findSharePlace(path.join(scratch, 'no-share'), [])).kind, 'missing');
  });

  it('finds a FIFO without opening it, and says it is no file nor folder', async () => {
    const place = await findSharePlace(share, parts('pipe'));
    assert.equal(place.kind, 'found');
    if (place.kind === 'found') assert.equal(place.stats.isFile() || place.stats.isDirectory(), false);
  });

  it('follows a link at the share folder itself (a share on another disk), none below it', async () => {
    const linkedShare = path.join(scratch, 'linked-share');
    await symlink(share, linkedShare);
    const place = await findSharePlace(linkedShare, parts('photos/cat.jpg'));
    assert.equal(place.kind, 'found');
    if (place.kind === 'found') assert.equal(place.path, path.join(share, 'photos', 'cat.jpg'));
    assert.equal((await findSharePlace(linkedShare, parts('link-out'))).kind, 'through-link');
  });

  it('finds a name that is not UTF-8 by its exact bytes', async () => {
    const raw = Buffer.from([0x66, 0xff, 0x2e, 0x74]);
    await writeFile(Buffer.concat([Buffer.from(`${share}/photos/`), raw]), 'latin');
    const place = await findSharePlace(share, [Buffer.from('photos'), raw]);
    assert.equal(place.kind, 'found');
    if (place.kind === 'found') assert.ok(Buffer.isBuffer(place.path) && place.path.subarray(-raw.length).equals(raw));
  });
});
