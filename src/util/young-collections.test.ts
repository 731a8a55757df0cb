import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, describe, it } from 'node:test';
import { ForcedCollections } from '../../test/helpers/forced-collections.js';
import { YOUNG_COLLECTION_BYTES, bodyBytesReceived, enableYoungCollections } from './young-collections.js';

const PIECE = 16_384;

// V8 frees dead ArrayBuffers' memory on a helper thread a little after each collection, later still on a busy
// machine (CI saw 21 MiB held); freeing them within the collection makes what is held depend on the schedule alone
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');

const forced = new ForcedCollections();
after(() => forced.stop());

/** The forced collections seen while `work` ran. */
async function forcedCollectionsDuring(work: () => void): Promise<number> {
  await forced.delivered();
  const before = forced.count;
  work();
  await forced.delivered();
  return forced.count - before;
}

/** `bytes` received as an upload arrives: a fresh 16 KiB piece each, dead once counted; the most ArrayBuffer bytes seen. */
function receivePieces(bytes: number): number {
  let most = 0;
  for (let at = 0; at < bytes; at += PIECE) {
    Buffer.allocUnsafeSlow(PIECE).fill(1);
    bodyBytesReceived(PIECE);
    most = Math.max(most, process.memoryUsage().arrayBuffers);
  }
  return most;
}

// the test runner gives this file its own process: enabling here changes no other test's V8
describe('young collections while uploads arrive', () => {
  it('runs none until the lean mode enables them', async () => {
    assert.equal(await forcedCollectionsDuring(() => receivePieces(4 * YOUNG_COLLECTION_BYTES)), 0);
  });

  it('runs one per YOUNG_COLLECTION_BYTES received, counted across calls', async () => {
    enableYoungCollections();
    enableYoungCollections();
    assert.equal(await forcedCollectionsDuring(() => bodyBytesReceived(YOUNG_COLLECTION_BYTES - 1)), 0);
    assert.equal(await forcedCollectionsDuring(() => bodyBytesReceived(1)), 1, 'the byte that completes the count, from another call');
    assert.equal(await forcedCollectionsDuring(() => receivePieces(3 * YOUNG_COLLECTION_BYTES)), 3);
  });

  // V8 alone lets them reach 32 MiB (its bound on young buffers' bytes)
  it('holds the dead pieces to one interval\'s worth, well under V8\'s own bound', () => {
    enableYoungCollections();
    const most = receivePieces(8 * YOUNG_COLLECTION_BYTES);
    assert.ok(most <= 1.25 * YOUNG_COLLECTION_BYTES, `${(most / 1048576).toFixed(1)} MiB of ArrayBuffers at most`);
  });

  it('gives `gc` to no context: not the server\'s global, not a later one', () => {
    enableYoungCollections();
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
    assert.equal(vm.runInNewContext('typeof gc'), 'undefined');
  });
});
