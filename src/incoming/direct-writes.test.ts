import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs, { closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { DIRECT_IO_ALIGNMENT } from '../util/direct-io.js';
import { DIRECT_WRITE_BLOCK, DIRECT_WRITE_BLOCKS, DirectWriteMemory, DirectWrites, type WriteAt } from './direct-writes.js';

const PIECE = 16_384;

interface Recorded {
  direct: boolean;
  position: number;
  length: number;
}

const realWrite: WriteAt = (fd, buffers, position) =>
  new Promise((resolve, reject) => fs.writev(fd, buffers, position, (error, written) => (error ? reject(error) : resolve(written))));

/** Every write to the disk, told apart by descriptor: `ordinary` is the caller's, any other the direct one. */
function recordingWrites(ordinary: number, options: { fail?: (call: Recorded, index: number) => Error | undefined; hold?: () => Promise<void> } = {}) {
  const calls: Recorded[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const write: WriteAt = async (fd, buffers, position) => {
    const call = { direct: fd !== ordinary, position, length: buffers.reduce((sum, buffer) => sum + buffer.length, 0) };
    calls.push(call);
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    try {
      await options.hold?.();
      const failure = options.fail?.(call, calls.length - 1);
      if (failure) throw failure;
      return await realWrite(fd, buffers, position);
    } finally {
      inFlight -= 1;
    }
  };
  return { write, calls, mostInFlight: () => mostInFlight };
}

/** Checks the writes cover the file from `start` in order, with no gap nor overlap, and that every direct one is aligned. */
function assertInOrderAndAligned(calls: Recorded[], start: number, end: number): void {
  let at = start;
  for (const call of calls) {
    assert.equal(call.position, at, 'each write where the one before it ended');
    if (call.direct) assert.ok(call.position % DIRECT_IO_ALIGNMENT === 0 && call.length % DIRECT_IO_ALIGNMENT === 0, `direct write aligned: ${JSON.stringify(call)}`);
    at += call.length;
  }
  assert.equal(at, end);
}

/** Hands `content` over in pieces of the HTTP parser's size (and an odd one now and then), waiting whenever asked. */
async function addAll(writes: DirectWrites, content: Buffer): Promise<void> {
  let at = 0;
  for (let index = 0; at < content.length; index += 1) {
    const length = index % 7 === 3 ? 1_000 : PIECE;
    await writes.add(content.subarray(at, at + length));
    at += length;
  }
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: refused, write`), { code });
}

describe('DirectWrites', () => {
  let folder: string;
  let directWorks = false;
  let count = 0;

  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'anemone-direct-writes-'));
    const probe = path.join(folder, 'probe');
    writeFileSync(probe, '');
    try {
      closeSync(openSync(probe, constants.O_WRONLY | (constants.O_DIRECT ?? 0)));
      directWorks = constants.O_DIRECT !== undefined;
    } catch {
      directWorks = false;
    }
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** A new file holding `existing`, open for writing at its end as a partial is (O_APPEND when resumed). */
  function fileHolding(existing: Buffer): { filePath: string; fd: number } {
    const filePath = path.join(folder, `file-${(count += 1)}`);
    writeFileSync(filePath, existing);
    const fd = openSync(filePath, existing.length > 0 ? constants.O_WRONLY | constants.O_APPEND : constants.O_WRONLY);
    return { filePath, fd };
  }

  async function writesOrSkip(t: TestContext, fd: number, position: number, write: WriteAt, memory = new DirectWriteMemory()): Promise<DirectWrites | undefined> {
    const writes = await DirectWrites.open(fd, position, memory, { write });
    if (!directWorks) {
      assert.equal(writes, undefined, 'no direct writes where the file system refuses O_DIRECT at the open');
      t.skip("this test folder's file system refuses O_DIRECT");
      return undefined;
    }
    assert.ok(writes, 'direct writes where O_DIRECT opens');
    return writes;
  }

  it('writes a new file in whole aligned blocks past the cache, and only its last bytes under 4 KiB the ordinary way', async (t) => {
    const { filePath, fd } = fileHolding(Buffer.alloc(0));
    const recorded = recordingWrites(fd);
    const writes = await writesOrSkip(t, fd, 0, recorded.write);
    if (!writes) return closeSync(fd);
    const content = randomBytes(3 * DIRECT_WRITE_BLOCK + 5 * DIRECT_IO_ALIGNMENT + 123);
    await addAll(writes, content);
    await writes.finish();
    await writes.close();
    closeSync(fd);
    assert.ok(readFileSync(filePath).equals(content), 'the file holds the bytes given, in order');
    assertInOrderAndAligned(recorded.calls, 0, content.length);
    assert.ok(recorded.calls.slice(0, -1).every((call) => call.direct), 'all but the last write past the cache');
    assert.deepEqual(recorded.calls.at(-1), { direct: false, position: content.length - 123, length: 123 }, 'the last bytes under 4 KiB the ordinary way');
    assert.equal(recorded.mostInFlight(), 1, 'one write at a time: the file never has a hole');
  });

  it('continues a resumed upload at an unaligned offset: the bytes up to the next 4 KiB boundary the ordinary way, then whole blocks', async (t) => {
    const existing = randomBytes(5_000);
    const { filePath, fd } = fileHolding(existing);
    const recorded = recordingWrites(fd);
    const writes = await writesOrSkip(t, fd, existing.length, recorded.write);
    if (!writes) return closeSync(fd);
    const content = randomBytes(2 * DIRECT_WRITE_BLOCK);
    await addAll(writes, content);
    await writes.finish();
    await writes.close();
    closeSync(fd);
    assert.ok(readFileSync(filePath).equals(Buffer.concat([existing, content])));
    const head = 2 * DIRECT_IO_ALIGNMENT - existing.length;
    const tail = (content.length - head) % DIRECT_IO_ALIGNMENT;
    assertInOrderAndAligned(recorded.calls, existing.length, existing.length + content.length);
    assert.deepEqual(recorded.calls[0], { direct: false, position: existing.length, length: head }, 'up to the boundary the ordinary way');
    assert.ok(recorded.calls.slice(1, -1).every((call) => call.direct), 'then past the cache');
    assert.deepEqual(recorded.calls.at(-1), { direct: false, position: existing.length + content.length - tail, length: tail });
  });

  it('writes the rest of the file the ordinary way once a direct write is refused (EINVAL)', async (t) => {
    const { filePath, fd } = fileHolding(Buffer.alloc(0));
    const recorded = recordingWrites(fd, { fail: (call, index) => (call.direct && index === 1 ? errno('EINVAL') : undefined) });
    const writes = await writesOrSkip(t, fd, 0, recorded.write);
    if (!writes) return closeSync(fd);
    const content = randomBytes(4 * DIRECT_WRITE_BLOCK + 77);
    await addAll(writes, content);
    await writes.finish();
    await writes.close();
    closeSync(fd);
    assert.ok(readFileSync(filePath).equals(content), 'the refused block written again the ordinary way, nothing lost');
    assertInOrderAndAligned(recorded.calls.filter((_, index) => index !== 1), 0, content.length);
    assert.deepEqual(recorded.calls.slice(0, 3).map((call) => call.direct), [true, true, false], 'the refused write made again the ordinary way');
    assert.ok(recorded.calls.slice(2).every((call) => !call.direct), 'the direct descriptor left alone after the refusal');
  });

  it('fills the other blocks while a write is on its way, writes them in one call, and makes a piece wait only when all are full', async (t) => {
    const { filePath, fd } = fileHolding(Buffer.alloc(0));
    let release = () => undefined as void;
    let holding = true;
    const held = () => (holding ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve());
    const recorded = recordingWrites(fd, { hold: held });
    const writes = await writesOrSkip(t, fd, 0, recorded.write);
    if (!writes) return closeSync(fd);
    const blockPieces = DIRECT_WRITE_BLOCK / PIECE;
    const content = randomBytes(DIRECT_WRITE_BLOCKS * DIRECT_WRITE_BLOCK + PIECE);
    const waits: number[] = [];
    for (let at = 0, index = 0; at < content.length; at += PIECE, index += 1) {
      const waiting = writes.add(content.subarray(at, at + PIECE));
      if (!waiting) continue;
      waits.push(index);
      // the body is paused while it waits: the next piece comes once it settled
      await new Promise(setImmediate);
      assert.deepEqual(recorded.calls, [{ direct: true, position: 0, length: DIRECT_WRITE_BLOCK }], 'the first block on its way, the others filled');
      release();
      await waiting;
      assert.deepEqual(recorded.calls.at(-1), { direct: true, position: DIRECT_WRITE_BLOCK, length: (DIRECT_WRITE_BLOCKS - 1) * DIRECT_WRITE_BLOCK }, 'the blocks filled meanwhile in one write');
    }
    assert.deepEqual(waits, [DIRECT_WRITE_BLOCKS * blockPieces], 'only the piece that found every block full waited');
    holding = false;
    release();
    await writes.finish();
    await writes.close();
    closeSync(fd);
    assert.ok(readFileSync(filePath).equals(content));
    assertInOrderAndAligned(recorded.calls, 0, content.length);
    assert.equal(recorded.mostInFlight(), 1, 'one write at a time: the file never has a hole');
  });

  it('hands its blocks back once closed, for the next upload, once however often closed, and keeps no more than it was told', async (t) => {
    const memory = new DirectWriteMemory(1);
    const { fd } = fileHolding(Buffer.alloc(0));
    const recorded = recordingWrites(fd);
    const writes = await writesOrSkip(t, fd, 0, recorded.write, memory);
    if (!writes) return closeSync(fd);
    const content = randomBytes(DIRECT_WRITE_BLOCK);
    await writes.add(content);
    await writes.finish();
    await writes.close();
    await writes.close();
    closeSync(fd);
    const kept = memory.take();
    const made = memory.take();
    assert.ok(kept && made);
    assert.ok(kept.subarray(0, DIRECT_WRITE_BLOCK).equals(content), 'the next upload gets the closed one\'s blocks');
    assert.notEqual(made.buffer, kept.buffer, 'given back once, not twice: the second is new');
    memory.give(kept);
    memory.give(made);
    assert.equal(memory.take(), kept);
    assert.notEqual(memory.take()?.buffer, made.buffer, 'one kept, as told');
    assert.throws(() => writes.add(randomBytes(PIECE)), /closed/);
  });

  it('fails the next piece and the finish with a write\'s error (a full disk)', async (t) => {
    const { fd } = fileHolding(Buffer.alloc(0));
    const recorded = recordingWrites(fd, { fail: (call) => (call.direct ? errno('ENOSPC') : undefined) });
    const writes = await writesOrSkip(t, fd, 0, recorded.write);
    if (!writes) return closeSync(fd);
    const block = randomBytes(DIRECT_WRITE_BLOCK);
    assert.equal(writes.add(block), undefined, 'the first block leaves without a wait');
    await writes.settled();
    assert.equal((writes.failure as NodeJS.ErrnoException).code, 'ENOSPC');
    assert.throws(() => writes.add(randomBytes(PIECE)), { code: 'ENOSPC' });
    await assert.rejects(writes.finish(), { code: 'ENOSPC' });
    await writes.close();
    closeSync(fd);
    assert.equal(recorded.calls.length, 1, 'nothing written after the failure');
  });
});
