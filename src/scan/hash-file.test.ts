import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashFile } from './hash-file.js';
import { resolveShareRoot, type ShareRoot } from './open-share-file.js';
import { walkShare, type StatedFile } from './walk-share.js';

describe('hashFile after the walk', () => {
  let base: string;
  let share: string;
  let root: ShareRoot;
  let walked: Map<string, StatedFile>;
  const buffer = Buffer.alloc(64 * 1024);

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'anemone-hash-file-'));
    share = path.join(base, 'share');
    mkdirSync(path.join(base, 'outside'));
    writeFileSync(path.join(base, 'outside', 'b.txt'), 'outside');
    for (const name of ['a', 'b', 'c']) {
      mkdirSync(path.join(share, name), { recursive: true });
      writeFileSync(path.join(share, name, `${name}.txt`), name);
    }
    writeFileSync(path.join(share, 'same.txt'), 'unchanged');
    root = await resolveShareRoot(share);
    walked = new Map((await walkShare(share)).files.map((file) => [file.relPath, file]));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  const file = (relPath: string) => walked.get(relPath) as StatedFile;

  it('hashes a file that is still what the walk saw', async () => {
    assert.deepEqual(await hashFile(root, file('same.txt'), buffer), { sha256: createHash('sha256').update('unchanged').digest('hex') });
  });

  it('never reads a file swapped for a link, or reached through a folder swapped for one', async () => {
    unlinkSync(path.join(share, 'a', 'a.txt'));
    symlinkSync('/etc/passwd', path.join(share, 'a', 'a.txt'));
    assert.deepEqual(await hashFile(root, file('a/a.txt'), buffer), { skip: 'symlink' });

    renameSync(path.join(share, 'b'), path.join(base, 'b-moved'));
    symlinkSync(path.join(base, 'outside'), path.join(share, 'b'));
    assert.deepEqual(await hashFile(root, file('b/b.txt'), buffer), { skip: 'outside-share' });
  });

  it('reports a file replaced by another one as changed', async () => {
    rmSync(path.join(share, 'c', 'c.txt'));
    writeFileSync(path.join(share, 'c', 'c.txt'), 'a new c');
    assert.deepEqual(await hashFile(root, file('c/c.txt'), buffer), { skip: 'changed-during-scan' });
  });
});
