import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { GATHERED_WRITE_BYTES, GatheredWrites } from './gathered-writes.js';

const PIECE = 16_384;

/** A file's stream as the disk sees it: each call to the disk (write or writev) recorded, each finished when `release` says. */
function recordingStream(options: { held?: boolean } = {}) {
  const calls: Buffer[][] = [];
  const waiting: (() => void)[] = [];
  const finish = (callback: () => void) => (options.held ? waiting.push(callback) : setImmediate(callback));
  const stream = new Writable({
    highWaterMark: GATHERED_WRITE_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      calls.push([chunk]);
      finish(callback);
    },
    writev(chunks, callback) {
      calls.push(chunks.map(({ chunk }) => chunk as Buffer));
      finish(callback);
    },
  });
  const release = () => waiting.splice(0).forEach((callback) => callback());
  return { stream, calls, release };
}

describe('GatheredWrites', () => {
  it('hands the pieces to the stream in batches of about 1 MiB, each one call with the pieces uncopied and in order', async () => {
    const { stream, calls } = recordingStream();
    const gathered = new GatheredWrites(stream);
    const pieces = Array.from({ length: 150 }, () => randomBytes(PIECE));
    for (const piece of pieces) {
      if (gathered.add(piece)) await once(stream, 'drain');
      await new Promise(setImmediate);
    }
    gathered.flush();
    stream.end();
    await once(stream, 'finish');
    // 150 pieces of 16 KiB: two full batches of 64, then the 22 the flush sent
    assert.deepEqual(calls.map((call) => call.length), [64, 64, 22]);
    assert.ok(calls.flat().every((piece, index) => piece === pieces[index]), 'the very pieces given, in order');
  });

  it('sends nothing before a batch is full, and the rest on flush', () => {
    const { stream, calls } = recordingStream();
    const gathered = new GatheredWrites(stream);
    for (let i = 0; i < 10; i += 1) assert.equal(gathered.add(randomBytes(PIECE)), false);
    assert.equal(calls.length, 0);
    assert.equal(gathered.flush(), false);
    assert.deepEqual(calls.map((call) => call.length), [10]);
    assert.equal(gathered.flush(), false, 'nothing left to send');
    assert.equal(calls.length, 1);
  });

  it('lets one batch be on its way to disk while the next gathers, and asks to wait when a second is ready', async () => {
    const { stream, calls, release } = recordingStream({ held: true });
    const gathered = new GatheredWrites(stream);
    const batch = GATHERED_WRITE_BYTES / PIECE;
    const results: boolean[] = [];
    for (let i = 0; i < 2 * batch; i += 1) results.push(gathered.add(randomBytes(PIECE)));
    // the first batch left without a wait; the second found the first still on its way
    assert.deepEqual([results.indexOf(true), results.lastIndexOf(true)], [2 * batch - 1, 2 * batch - 1]);
    assert.equal(calls.length, 1);
    const drained = once(stream, 'drain');
    release();
    await new Promise(setImmediate);
    assert.equal(calls.length, 2, 'the second batch went as one call once the first was done');
    release();
    await drained;
  });
});
