import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Database, openDatabase } from './database.js';
import { IncomingRepo } from './incoming-repo.js';

const ref = { source: 'a', user: 'alice', share: 'docs' };
const object = (storedPath: string) => ({ path: storedPath, bytes: 10, replaced: false });

describe('IncomingRepo: the batches written straight at their final names', () => {
  let dir: string;
  let db: Database;
  let repo: IncomingRepo;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-incoming-repo-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
    repo = new IncomingRepo(db);
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists a batch not yet settled as unfinished, and a settled one no more; its objects stay uncommitted', () => {
    repo.recordUncommitted(ref, [object('one'), object('two')], 'b1');
    repo.recordUncommitted(ref, [object('three')], 'b1');
    repo.recordUncommitted(ref, [object('other')], 'b2');
    assert.deepEqual(repo.unfinishedBatchObjects().map((row) => row.path).sort(), ['one', 'other', 'three', 'two']);
    repo.settleBatch('b1');
    assert.deepEqual(repo.unfinishedBatchObjects(), [{ ...ref, path: 'other' }]);
    repo.settleBatch('b2');
    assert.deepEqual(repo.unfinishedBatchObjects(), []);
    assert.deepEqual(repo.listUncommitted(ref).map((row) => row.path), ['one', 'other', 'three', 'two']);
  });

  it('abandons only the objects still its own: a path a later batch wrote is that batch’s', () => {
    repo.recordUncommitted(ref, [object('x'), object('y')], 'b3');
    repo.recordUncommitted(ref, [object('y')], 'b4');
    assert.deepEqual([...repo.abandonBatch('b3')], ['x']);
    assert.deepEqual(repo.unfinishedBatchObjects(), [{ ...ref, path: 'y' }]);
    assert.ok(!repo.listUncommitted(ref).some((row) => row.path === 'x'));
    // a settled batch's objects are never taken by an abandon of another
    assert.deepEqual([...repo.abandonBatch('b1')], []);
  });

  it('forgets the unfinished batches and their objects at start, and nothing settled', () => {
    repo.recordUncommitted(ref, [object('crashed')], 'b5');
    repo.forgetUnfinishedBatches();
    assert.deepEqual(repo.unfinishedBatchObjects(), []);
    const paths = repo.listUncommitted(ref).map((row) => row.path);
    assert.ok(!paths.includes('crashed') && !paths.includes('y'));
    assert.ok(paths.includes('one') && paths.includes('other'));
  });
});
