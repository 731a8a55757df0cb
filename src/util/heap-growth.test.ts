import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { RAISED_HEAP_GROWTH_FLAG, duringLargeTransfer, enableHeapGrowthDuringTransfers, largeTransferStarted, largeTransfersRunning } from './heap-growth.js';

// the test runner gives this file its own process: enabling here changes no other test's V8
describe('heap growth during large transfers', () => {
  it('counts nothing until the lean mode enables it', () => {
    const done = largeTransferStarted();
    assert.equal(largeTransfersRunning(), 0);
    done();
    assert.equal(largeTransfersRunning(), 0);
  });

  it('holds the raise while any transfer runs, each ending once however often it is told', () => {
    enableHeapGrowthDuringTransfers();
    const first = largeTransferStarted();
    const second = largeTransferStarted();
    assert.equal(largeTransfersRunning(), 2);
    first();
    first();
    assert.equal(largeTransfersRunning(), 1, 'a second call of the same ending is no second ending');
    second();
    assert.equal(largeTransfersRunning(), 0);
  });

  it('counts a piece of work until it settles, rejected or not', async () => {
    enableHeapGrowthDuringTransfers();
    let during = -1;
    assert.equal(await duringLargeTransfer(async () => ((during = largeTransfersRunning()), 'stored')), 'stored');
    assert.equal(during, 1);
    await assert.rejects(duringLargeTransfer(() => Promise.reject(new Error('the connection dropped'))), /dropped/);
    assert.equal(largeTransfersRunning(), 0);
  });

  // v8.setFlagsFromString ignores a flag it does not know; node's command line refuses one
  it('raises a flag this Node version knows, and sets back one it knows', () => {
    for (const flag of [RAISED_HEAP_GROWTH_FLAG, '--heap-growing-percent=0']) {
      const run = spawnSync(process.execPath, ['--optimize-for-size', flag, '-e', 'let kept; for (let i = 0; i < 64; i++) kept = Buffer.alloc(1 << 20, i); process.stdout.write(String(kept[0]))'], { encoding: 'utf8' });
      assert.equal(run.status, 0, `${flag}: ${run.stderr}`);
      assert.equal(run.stdout, '63', flag);
    }
  });
});
