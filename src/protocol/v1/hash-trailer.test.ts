import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AppendSha256Trailer, TrailerHoldback } from './hash-trailer.js';

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

      const receiver = new TrailerHoldback();
      const received = Buffer.concat(splitRandomly(wire).flatMap((chunk) => receiver.push(chunk)));
      assert.ok(received.equals(body), `length ${length}`);
      assert.equal(receiver.trailerHex(), sender.sha256Hex());
    }
  });

  it('splits content from its 32-byte trailer whatever the chunk sizes', () => {
    for (const contentLength of [0, 1, 31, 32, 33, 100, 70_000]) {
      const content = randomBytes(contentLength);
      const trailer = createHash('sha256').update(content).digest();
      const body = Buffer.concat([content, trailer]);
      for (const chunkSize of [1, 5, 31, 32, 33, 4096, body.length]) {
        const holdback = new TrailerHoldback();
        const passed: Buffer[] = [];
        for (let offset = 0; offset < body.length; offset += chunkSize) passed.push(...holdback.push(body.subarray(offset, offset + chunkSize)));
        assert.deepEqual(Buffer.concat(passed), content, `content ${contentLength}, chunks ${chunkSize}`);
        assert.equal(holdback.trailerHex(), trailer.toString('hex'));
      }
    }
  });

  it('has no trailer when the body is shorter than one', () => {
    const holdback = new TrailerHoldback();
    assert.deepEqual(holdback.push(Buffer.alloc(31)), []);
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
