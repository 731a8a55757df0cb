import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MigrationRecord } from './migration-record.js';

describe('the record of a migration into a bucket', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-migration-record-'))));
  after(() => rm(dir, { recursive: true, force: true }));
  const sha = 'a'.repeat(64);

  it('remembers verified objects across runs, for the same file on disk only', async () => {
    const file = path.join(dir, 'same.jsonl');
    const first = MigrationRecord.open(file, 's3:b/p');
    first.add({ relPath: 'src/u/s/a.enc', size: 10, mtimeMs: 1000, sha256: sha });
    const again = MigrationRecord.open(file, 's3:b/p');
    assert.equal(again.isCopied('src/u/s/a.enc', 10, 1000), true);
    assert.equal(again.isCopied('src/u/s/a.enc', 11, 1000), false, 'a file that grew is copied again');
    assert.equal(again.isCopied('src/u/s/a.enc', 10, 2000), false, 'a file rewritten is copied again');
    assert.equal(again.isCopied('src/u/s/b.enc', 10, 1000), false);
  });

  it('ignores a line a crash tore, and starts again for another bucket or prefix', async () => {
    const file = path.join(dir, 'torn.jsonl');
    MigrationRecord.open(file, 's3:b/p').add({ relPath: 'x.enc', size: 1, mtimeMs: 1, sha256: sha });
    appendFileSync(file, '{"relPath":"y.enc","si');
    const resumed = MigrationRecord.open(file, 's3:b/p');
    assert.equal(resumed.count, 1);
    assert.equal(resumed.isCopied('x.enc', 1, 1), true);
    const elsewhere = MigrationRecord.open(file, 's3:b/other');
    assert.equal(elsewhere.isCopied('x.enc', 1, 1), false);
    assert.equal((await readFile(file, 'utf8')).trim(), JSON.stringify({ target: 's3:b/other' }), 'the old record is replaced');
  });
});
