import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { eachBodyChunk } from './body-chunks.js';

const pieces = (count: number) => Array.from({ length: count }, (_, index) => Buffer.from(`piece ${index}`));

describe('eachBodyChunk', () => {
  it('hands every chunk in order, and resolves at the end', async () => {
    const taken: string[] = [];
    await eachBodyChunk(Readable.from(pieces(5)), (chunk) => void taken.push(chunk.toString()));
    assert.deepEqual(taken, pieces(5).map(String));
  });

  it('pauses the body while a write waits, and takes nothing more until it is done', async () => {
    const body = new PassThrough();
    const taken: string[] = [];
    let release = () => undefined as void;
    const done = eachBodyChunk(body, (chunk) => {
      taken.push(chunk.toString());
      if (taken.length === 1) return new Promise<void>((resolve) => (release = resolve));
      return undefined;
    });
    body.write('first');
    body.write('second');
    body.end('third');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(taken, ['first']);
    assert.equal(body.isPaused(), true);
    release();
    await done;
    assert.deepEqual(taken, ['first', 'second', 'third']);
  });

  it('resolves only once the last write that waits is done', async () => {
    let written = false;
    await eachBodyChunk(Readable.from(pieces(1)), () => new Promise<void>((resolve) => setTimeout(() => resolve(void (written = true)), 20)));
    assert.equal(written, true);
  });

  it('stops at the first refusal, thrown or rejected, leaving the body paused and not destroyed', async () => {
    for (const refuse of [() => { throw new Error('too large'); }, () => Promise.reject(new Error('too large'))]) {
      const body = new PassThrough();
      let calls = 0;
      const done = eachBodyChunk(body, () => {
        calls += 1;
        return refuse();
      });
      body.write('a');
      body.write('b');
      await assert.rejects(done, /too large/);
      assert.equal(calls, 1);
      assert.equal(body.destroyed, false);
      assert.equal(body.readableFlowing, false);
    }
  });

  it('rejects when the connection drops before the end, after taking what arrived', async () => {
    const taken: string[] = [];
    const body = new PassThrough();
    const done = eachBodyChunk(body, (chunk) => void taken.push(chunk.toString()));
    body.write('arrived');
    await new Promise((resolve) => setImmediate(resolve));
    body.destroy(new Error('aborted'));
    await assert.rejects(done, /aborted/);
    assert.deepEqual(taken, ['arrived']);
    const closed = new PassThrough();
    const closedDone = eachBodyChunk(closed, () => undefined);
    closed.destroy();
    await assert.rejects(closedDone, /ended before all its bytes arrived/);
  });

  it('rejects for a connection dropped while a write waits only once that write is done', async () => {
    const body = new PassThrough();
    let writeDone = false;
    const done = eachBodyChunk(body, () => new Promise<void>((resolve) => setTimeout(() => resolve(void (writeDone = true)), 30)));
    body.write('arrived');
    await new Promise((resolve) => setImmediate(resolve));
    body.destroy(new Error('aborted'));
    await assert.rejects(done, /aborted/);
    assert.equal(writeDone, true);
  });

  it('resolves at once for a body already read to its end', async () => {
    const body = Readable.from(pieces(1));
    body.resume();
    await new Promise((resolve) => body.once('end', resolve));
    let calls = 0;
    await eachBodyChunk(body, () => void (calls += 1));
    assert.equal(calls, 0);
  });
});
