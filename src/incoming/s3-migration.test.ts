import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storeFiles } from './s3-migration.js';

describe('what a migration copies from a disk store', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'anemone-store-files-'));
    const files = [
      'src/alice/backup/a.enc',
      'src/alice/backup/_manifest.json.enc',
      'src/alice/backup/_manifest.d/4.json.enc',
      'src/.history/alice/backup/objects/ab/ab12.enc',
      'src/.history/alice/backup/manifests/3-x.json.enc',
      'src/alice/_recovery-kit.bin',
      'src/_recovery-kit.bin',
      'src/alice/backup/.anemone-tmp-123',
      '.partial/src/up.part',
    ];
    for (const file of files) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), file);
    }
    await symlink('/etc', path.join(root, 'src', 'alice', 'backup', 'link'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('takes objects, manifests, journals and history; leaves uploads in progress, the kit and links', async () => {
    const found: string[] = [];
    for await (const file of storeFiles(root)) found.push(file.relPath);
    assert.deepEqual(found.sort(), [
      'src/.history/alice/backup/manifests/3-x.json.enc',
      'src/.history/alice/backup/objects/ab/ab12.enc',
      'src/alice/_recovery-kit.bin',
      'src/alice/backup/_manifest.d/4.json.enc',
      'src/alice/backup/_manifest.json.enc',
      'src/alice/backup/a.enc',
    ]);
  });
});
