import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AppendSha256Trailer, WholeReadHoldback } from './hash-trailer.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('SHA-256 trailer of streamed uploads', () => {
  it('round-trips any body in any split, and the receiver reads the announced hash', async () => {
    for (const length of [0, 1, 31, 32, 33, 100_000]) {
      const body = randomBytes(length);
      const sender = new AppendSha256Trailer();
      const wire = await collect(Readable.from(splitRandomly(body)).pipe(sender));
      assert.equal(wire.length, length + 32);
      assert.equal(sender.sha256Hex(), createHash('sha256').update(body).digest('hex'));

      const receiver = new WholeReadHoldback();
      const received = Buffer.concat([...splitRandomly(wire).flatMap((chunk) => receiver.push(chunk)), ...receiver.end()]);
      assert.ok(received.equals(body), `length ${length}`);
      assert.equal(receiver.trailerHex(), sender.sha256Hex());
    }
  });
});

describe('WholeReadHoldback (large uploads: each read passed whole, one read late)', () => {
  it('splits content from its 32-byte trailer whatever the read sizes, passing reads of 32 bytes or more uncut', () => {
    for (const contentLength of [0, 1, 31, 32, 33, 100, 70_000]) {
      const content = randomBytes(contentLength);
      const trailer = createHash('sha256').update(content).digest();
      const body = Buffer.concat([content, trailer]);
      for (const readSize of [1, 5, 31, 32, 33, 4096, body.length]) {
        const holdback = new WholeReadHoldback();
        const passed: Buffer[] = [];
        let previous: Buffer | undefined;
        for (let offset = 0; offset < body.length; offset += readSize) {
          const read = body.subarray(offset, offset + readSize);
          const pieces = holdback.push(read);
          // a read of at least a trailer's length passes the read before it on as it came (the same buffer), not cut in two
          if (read.length >= 32) assert.deepEqual(pieces.map((piece) => piece === previous), previous ? [true] : []);
          passed.push(...pieces);
          previous = read;
        }
        passed.push(...holdback.end());
        assert.deepEqual(Buffer.concat(passed), content, `content ${contentLength}, reads ${readSize}`);
        assert.equal(holdback.trailerHex(), trailer.toString('hex'));
      }
    }
  });

  it('holds the last read until the end, and then passes all of it but the trailer', () => {
    const holdback = new WholeReadHoldback();
    const first = randomBytes(100);
    const last = randomBytes(50);
    assert.deepEqual(holdback.push(first), []);
    assert.deepEqual(holdback.push(last), [first]);
    assert.deepEqual(holdback.end(), [last.subarray(0, 18)]);
    assert.equal(holdback.trailerHex(), last.subarray(18).toString('hex'));
  });

  it('has no trailer when the body is shorter than one', () => {
    const holdback = new WholeReadHoldback();
    assert.deepEqual(holdback.push(Buffer.alloc(31)), []);
    assert.deepEqual(holdback.end(), []);
    assert.equal(holdback.trailerHex(), undefined);
  });
});

function splitRandomly(data: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; ) {
    const size = 1 + Math.floor(Math.random() * 40);
    pieces.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}
