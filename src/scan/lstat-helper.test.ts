import assert from 'node:assert/strict';
import { constants, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HELPER_FAILED, LstatHelper, MAX_BATCH } from './lstat-helper.js';

describe('LstatHelper', () => {
  let root: string;
  const paths: string[] = [];

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'anemone-lstat-helper-'));
    for (let index = 0; index < MAX_BATCH - 3; index++) {
      const file = path.join(root, `file-${index}`);
      writeFileSync(file, 'x'.repeat(index % 97));
      paths.push(file);
    }
    mkdirSync(path.join(root, 'a-folder'));
    symlinkSync(path.join(root, 'file-1'), path.join(root, 'a-link'));
    paths.push(path.join(root, 'a-folder'), path.join(root, 'a-link'), path.join(root, 'gone'));
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('states every entry of a batch as lstat does, shared between the two threads, in the batch’s order', async () => {
    const helper = new LstatHelper();
    // the thread is unref'd: something must keep the event loop alive until it runs
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      await helper.online;
      clearInterval(keepAlive);
      // the thread takes part once its message arrives; a busy machine may leave a first batch to the walk alone
      for (let batch = 0; batch < 200 && helper.statedByHelper === 0; batch++) {
        const { stated, slowCall } = helper.statBatch(paths, 10_000);
        assert.equal(stated, paths.length);
        assert.equal(slowCall, false);
        paths.forEach((entry, index) => {
          const values = helper.values.subarray(index * 4, index * 4 + 4);
          if (entry.endsWith('gone')) {
            // a failed call: the walk's own says why; the helper's is marked for the walk to make again
            assert.ok(helper.errors[index]?.code === 'ENOENT' || values[0] === HELPER_FAILED, `entry ${index}`);
            return;
          }
          const stats = lstatSync(entry);
          assert.deepEqual([...values], [stats.mode, stats.size, stats.mtimeMs, stats.ino], `entry ${index}`);
        });
      }
      assert.ok(helper.statedByHelper > 0, 'the helper thread stated some entries');
      const modeOf = (name: string) => (helper.values[paths.indexOf(path.join(root, name)) * 4] as number) & constants.S_IFMT;
      assert.equal(modeOf('a-link'), constants.S_IFLNK);
      assert.equal(modeOf('a-folder'), constants.S_IFDIR);
    } finally {
      clearInterval(keepAlive);
      helper.close();
    }
  });

  it('stops a batch at the first slow call of the walk’s own, with the entries stated so far', () => {
    const helper = new LstatHelper();
    try {
      const { stated, slowCall } = helper.statBatch(paths, -1);
      assert.equal(slowCall, true);
      assert.ok(stated >= 1 && stated < paths.length, `stated ${stated}`);
    } finally {
      helper.close();
    }
  });

  it('refuses a batch larger than its buffers', () => {
    const helper = new LstatHelper();
    try {
      assert.throws(() => helper.statBatch([...paths, ...paths], 10_000), RangeError);
    } finally {
      helper.close();
    }
  });
});
