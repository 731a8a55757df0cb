import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { ForcedCollections } from '../../test/helpers/forced-collections.js';
import { AnemoneError } from '../errors/catalogue.js';
import { YOUNG_COLLECTION_BYTES, enableYoungCollections } from '../util/young-collections.js';
import { receiveContinuation } from './resumed-body.js';

const READ = 16_384;

/** `bytes` in reads of 16 KiB, as a TLS connection hands them over; `dropped`: the connection is cut after the last one. */
function body(bytes: Buffer, dropped = false): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += READ) yield bytes.subarray(at, at + READ);
      if (dropped) throw new Error('aborted');
    })(),
  );
}

/** Runs receiveContinuation, collecting what it writes. */
async function receive(from: Readable, offset: number, size: number) {
  const writes: Buffer[] = [];
  const hash = createHash('sha256');
  const result = await receiveContinuation(from, { offset, size, hash, write: async (content) => void writes.push(content) });
  return { ...result, writes, digest: hash.digest('hex') };
}

describe('receiveContinuation', () => {
  it('writes and hashes the content of a whole body, each read uncut, and reads the trailer', async () => {
    const content = randomBytes(10 * READ + 1000);
    const trailer = createHash('sha256').update(content).digest();
    const received = await receive(body(Buffer.concat([content, trailer])), 0, content.length);
    assert.deepEqual(Buffer.concat(received.writes), content);
    assert.equal(received.written, content.length);
    assert.equal(received.trailer, trailer.toString('hex'));
    assert.equal(received.digest, trailer.toString('hex'));
    // one write per read, not two (the read cut around the 32 bytes held back)
    assert.equal(received.writes.length, Math.ceil((content.length + 32) / READ));
  });

  it('keeps all that arrived of a cut body but its last 32 bytes, with no trailer, counting from the offset', async () => {
    const arrived = randomBytes(5 * READ + 100);
    const received = await receive(body(arrived, true), 1_000, 1_000 + 10 * READ);
    assert.deepEqual(Buffer.concat(received.writes), arrived.subarray(0, arrived.length - 32));
    assert.equal(received.written, 1_000 + arrived.length - 32);
    assert.equal(received.trailer, undefined);
  });

  it('takes the pieces a write takes at once without waiting, and waits where a write waits, in order', async () => {
    const content = randomBytes(12 * READ + 500);
    const trailer = createHash('sha256').update(content).digest();
    const writes: Buffer[] = [];
    let waits = 0;
    const hash = createHash('sha256');
    const received = await receiveContinuation(body(Buffer.concat([content, trailer])), {
      offset: 0,
      size: content.length,
      hash,
      // every third piece makes the reader wait, as a full batch waits for the disk's 'drain'
      write: (piece) => {
        writes.push(piece);
        if (writes.length % 3 !== 0) return undefined;
        waits += 1;
        return new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
    assert.deepEqual(Buffer.concat(writes), content);
    assert.equal(received.trailer, trailer.toString('hex'));
    assert.equal(hash.digest('hex'), trailer.toString('hex'));
    assert.equal(waits, Math.floor(writes.length / 3));
  });

  it('cut while a write waits: the next write starts only once it is done, and nothing is returned before every write is', async () => {
    const arrived = randomBytes(4 * READ);
    const from = new PassThrough();
    let writing = 0;
    let mostAtOnce = 0;
    const writes: Buffer[] = [];
    const received = receiveContinuation(from, {
      offset: 0,
      size: 10 * READ,
      hash: createHash('sha256'),
      // each write waits, as a part sent to a bucket does: the cut comes while one is under way
      write: (content) => {
        writes.push(content);
        mostAtOnce = Math.max(mostAtOnce, ++writing);
        return new Promise((resolve) => setTimeout(() => resolve(void writing--), 30));
      },
    });
    for (let at = 0; at < arrived.length; at += READ) from.write(arrived.subarray(at, at + READ));
    await new Promise((resolve) => setTimeout(resolve, 10));
    from.destroy(new Error('aborted'));
    const { written, trailer } = await received;
    assert.equal(writing, 0, 'every write was done when the offset was returned');
    assert.equal(mostAtOnce, 1, 'one write at a time');
    assert.deepEqual(Buffer.concat(writes), arrived.subarray(0, written));
    assert.equal(trailer, undefined);
  });

  // the lean mode's young collections (src/util/young-collections.ts); this file runs in a process of its own
  it('counts each piece received toward a young collection every few MiB, once the lean mode enabled them', async () => {
    enableYoungCollections();
    const forced = new ForcedCollections();
    const content = randomBytes(2 * YOUNG_COLLECTION_BYTES);
    const trailer = createHash('sha256').update(content).digest();
    await receive(body(Buffer.concat([content, trailer])), 0, content.length);
    await forced.delivered();
    forced.stop();
    assert.equal(forced.count, 2);
  });

  it('refuses a body longer than the upload announced', async () => {
    const content = randomBytes(3 * READ);
    const trailer = createHash('sha256').update(content).digest();
    await assert.rejects(receive(body(Buffer.concat([content, trailer])), 0, 3 * READ - 1), (error: unknown) => error instanceof AnemoneError && error.code === 'PAYLOAD_TOO_LARGE');
  });
});
