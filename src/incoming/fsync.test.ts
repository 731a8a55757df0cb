import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fsyncFolder } from './fsync.js';

describe('fsyncFolder', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'anemone-fsync-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('flushes a real folder', async () => {
    await mkdir(path.join(root, 'real'));
    await fsyncFolder(path.join(root, 'real'));
  });

  it('refuses a symlink at the folder\'s name, even one to a folder, and a file', async () => {
    const elsewhere = path.join(root, 'elsewhere');
    await mkdir(elsewhere);
    await symlink(elsewhere, path.join(root, 'link'));
    // with O_DIRECTORY, Linux answers a link ENOTDIR (ELOOP without it): refused either way
    await assert.rejects(fsyncFolder(path.join(root, 'link')), (error: NodeJS.ErrnoException) => error.code === 'ENOTDIR' || error.code === 'ELOOP');
    await writeFile(path.join(root, 'file'), 'x');
    await assert.rejects(fsyncFolder(path.join(root, 'file')), (error: NodeJS.ErrnoException) => error.code === 'ENOTDIR');
  });
});
