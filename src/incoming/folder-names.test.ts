import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FolderNames } from './folder-names.js';

describe('FolderNames', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'anemone-folder-names-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  /** A folder holding `names`, and its size as lstat gives it. */
  async function folderWith(name: string, names: readonly string[]): Promise<{ folder: string; size: number }> {
    const folder = path.join(root, name);
    await mkdir(folder);
    for (const entry of names) await writeFile(path.join(folder, entry), 'x');
    return { folder, size: (await lstat(folder)).size };
  }

  it('lists the names a folder holds', async () => {
    const { folder, size } = await folderWith('small', ['a.enc', 'b.enc']);
    assert.deepEqual([...((await new FolderNames().list(folder, size)) ?? [])].sort(), ['a.enc', 'b.enc']);
  });

  it('lists no folder larger than the limit, nor one whose size is unknown or that cannot be read', async () => {
    const { folder, size } = await folderWith('large', ['a.enc']);
    assert.equal(await new FolderNames(size - 1).list(folder, size), undefined);
    assert.equal(await new FolderNames().list(folder, undefined), undefined);
    assert.equal(await new FolderNames().list(path.join(root, 'missing'), 4096), undefined);
  });

  it('stops listing once the batch listed its budget of folder bytes', async () => {
    const first = await folderWith('first', ['a.enc']);
    const second = await folderWith('second', ['b.enc']);
    const names = new FolderNames(first.size, first.size + second.size - 1);
    assert.deepEqual([...((await names.list(first.folder, first.size)) ?? [])], ['a.enc']);
    assert.equal(await names.list(second.folder, second.size), undefined, 'past the budget: each item is looked at on its own');
  });
});
