import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import type { Manifest } from '../manifest/manifest.js';
import { findFile, listFolder, selectFiles } from './backup-tree.js';

const file = (size: number) => ({ size, mtimeMs: Date.UTC(2024, 0, 1), sha256: 'a'.repeat(64), ctSha256: 'b'.repeat(64) });
const manifest: Manifest = {
  version: 1,
  sourceServer: 'server-a',
  user: 'alice',
  share: 'backup',
  generation: 3,
  createdAt: '2024-01-01T00:00:00.000Z',
  files: { 'top.txt': file(1), 'docs/a.txt': file(10), 'docs/sub/b.txt': file(20), 'docs2/c.txt': file(5) },
};

describe('the folders of a backup', () => {
  it('lists direct children, with folder totals', () => {
    const root = listFolder(manifest, '');
    assert.deepEqual(root?.folders.map((folder) => [folder.path, folder.fileCount, folder.size]), [
      ['docs', 2, 30],
      ['docs2', 1, 5],
    ]);
    assert.deepEqual(root?.files.map((entry) => [entry.path, entry.mtime]), [['top.txt', '2024-01-01T00:00:00.000Z']]);
    assert.deepEqual(listFolder(manifest, 'docs')?.files.map((entry) => entry.name), ['a.txt']);
    assert.equal(listFolder(manifest, 'doc'), undefined, 'a prefix of a name is not a folder');
    assert.equal(listFolder(manifest, 'top.txt'), undefined);
  });

  it('selects files and whole folders, without a folder catching its namesakes', () => {
    assert.deepEqual(selectFiles(manifest, ['docs/', 'top.txt']).map((entry) => entry.relPath), ['docs/a.txt', 'docs/sub/b.txt', 'top.txt']);
    assert.equal(selectFiles(manifest, ['']).length, 4);
    assert.throws(() => selectFiles(manifest, ['docs', 'nothing']), (error: unknown) => error instanceof AnemoneError && error.code === 'RESTORE_NOT_FOUND');
    assert.throws(() => findFile(manifest, 'docs'), (error: unknown) => error instanceof AnemoneError && error.code === 'RESTORE_NOT_FOUND');
    assert.equal(findFile(manifest, '/docs/a.txt').relPath, 'docs/a.txt');
  });
});
