import assert from 'node:assert/strict';
import { symlinkSync, unlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { LocalS3 } from '../../test/helpers/local-s3.js';
import { MigrationRecord } from './migration-record.js';
import { S3Objects, s3Client } from './s3-objects.js';
import { copyStoreToBucket, storeFiles } from './s3-migration.js';

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

describe('a migration meeting a file swapped for a link after the listing', () => {
  const s3 = new LocalS3();
  let dir: string;
  before(async () => {
    await s3.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-migrate-swap-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await s3.stop();
  });

  it('stops with what changed, and copies nothing of what the link points at', async () => {
    const root = path.join(dir, 'incoming');
    await mkdir(path.join(root, 'src', 'alice', 'backup'), { recursive: true });
    await writeFile(path.join(root, 'src', 'alice', 'backup', 'a.enc'), 'first object');
    await writeFile(path.join(root, 'src', 'alice', 'backup', 'b.enc'), 'second object');
    const secret = path.join(dir, 'master.key');
    await writeFile(secret, 'the server key, never to leave');
    const location = s3.location('swap');
    const client = s3Client(location);
    try {
      const objects = new S3Objects(client, location);
      const record = MigrationRecord.open(path.join(dir, 'record.jsonl'), 'swap');
      const swapped = path.join(root, 'src', 'alice', 'backup', 'b.enc');
      // after a.enc is verified and before b.enc's turn (synchronous: nothing of the copy runs in between), b.enc becomes a link to the key
      let linked = false;
      const run = copyStoreToBucket(root, objects, record, {
        concurrency: 1,
        afterVerified: () => {
          if (linked) return;
          linked = true;
          unlinkSync(swapped);
          symlinkSync(secret, swapped);
        },
      });
      await assert.rejects(run, (error: unknown) => {
        assert.ok(error instanceof AnemoneError);
        assert.equal(error.code, 'INCOMING_MIGRATE_FILE_CHANGED');
        assert.match(error.message, /src\/alice\/backup\/b\.enc .*no longer a regular file/);
        return true;
      });
      assert.ok(linked, 'the link was put in place');
      const keys: string[] = [];
      for await (const object of objects.list('swap/')) keys.push(object.key);
      assert.deepEqual(keys, ['swap/src/alice/backup/a.enc']);
    } finally {
      client.destroy();
    }
  });
});
