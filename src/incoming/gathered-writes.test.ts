import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
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

  describe('early flushes of a file', () => {
    let folder: string;
    before(async () => {
      folder = await mkdtemp(path.join(tmpdir(), 'anemone-gathered-'));
    });
    after(async () => {
      await rm(folder, { recursive: true, force: true });
    });

    const openFile = async (name: string): Promise<WriteStream> => {
      const stream = createWriteStream(path.join(folder, name), { highWaterMark: GATHERED_WRITE_BYTES });
      await once(stream, 'open');
      return stream;
    };
    /** A sync that records each call's descriptor and completes when told. */
    const heldSync = () => {
      const fds: number[] = [];
      const pending: ((error: NodeJS.ErrnoException | null) => void)[] = [];
      return { fds, pending, sync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => (fds.push(fd), pending.push(done)) };
    };
    const addBatches = async (gathered: GatheredWrites, stream: Writable, batches: number) => {
      for (let i = 0; i < batches * (GATHERED_WRITE_BYTES / PIECE); i += 1) if (gathered.add(randomBytes(PIECE))) await once(stream, 'drain');
    };

    it('flushes the file\'s data once enough has been handed to it, one flush at a time, and settles when it is done', async () => {
      const stream = await openFile('held');
      const { fds, pending, sync } = heldSync();
      const gathered = new GatheredWrites(stream, { earlySyncBytes: 2 * GATHERED_WRITE_BYTES, sync });
      await addBatches(gathered, stream, 1);
      assert.deepEqual(fds, [], 'not before the threshold');
      await addBatches(gathered, stream, 1);
      assert.deepEqual(fds, [(stream as unknown as { fd: number }).fd], 'the file\'s own descriptor, at the threshold');
      await addBatches(gathered, stream, 3);
      assert.equal(fds.length, 1, 'no second flush while one runs');
      let settled = false;
      const settling = gathered.settled().then(() => (settled = true));
      await new Promise(setImmediate);
      assert.equal(settled, false, 'the file may not be closed under a running flush');
      pending.shift()?.(null);
      await settling;
      await addBatches(gathered, stream, 2);
      assert.equal(fds.length, 2, 'the next flush after the next threshold');
      pending.shift()?.(null);
      stream.end();
      await finished(stream);
    });

    it('fails the file when an early flush fails (Linux reports a lost write to one fsync only)', { timeout: 10_000 }, async () => {
      const stream = await openFile('failing');
      const { pending, sync } = heldSync();
      const gathered = new GatheredWrites(stream, { earlySyncBytes: GATHERED_WRITE_BYTES, sync });
      await addBatches(gathered, stream, 1);
      const failure = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      pending.shift()?.(failure);
      await gathered.settled();
      await assert.rejects(finished(stream), (error: unknown) => error === failure);
    });

    it('writes every byte through real early flushes', async () => {
      const stream = await openFile('real');
      const gathered = new GatheredWrites(stream, { earlySyncBytes: GATHERED_WRITE_BYTES });
      const pieces = Array.from({ length: 5 * (GATHERED_WRITE_BYTES / PIECE) + 3 }, () => randomBytes(PIECE));
      for (const piece of pieces) if (gathered.add(piece)) await once(stream, 'drain');
      gathered.flush();
      await gathered.settled();
      stream.end();
      await finished(stream);
      assert.ok((await readFile(path.join(folder, 'real'))).equals(Buffer.concat(pieces)));
    });

    it('flushes nothing early on a stream that is not a file', async () => {
      const { stream } = recordingStream();
      const { fds, sync } = heldSync();
      const gathered = new GatheredWrites(stream, { earlySyncBytes: GATHERED_WRITE_BYTES, sync });
      await addBatches(gathered, stream, 3);
      assert.deepEqual(fds, []);
    });
  });
});
