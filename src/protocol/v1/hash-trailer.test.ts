import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { AppendSha256Trailer, SplitSha256Trailer } from './hash-trailer.js';

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

      const receiver = new SplitSha256Trailer();
      const received = await collect(Readable.from(splitRandomly(wire)).pipe(receiver));
      assert.ok(received.equals(body), `length ${length}`);
      assert.equal(receiver.announcedSha256Hex(), sender.sha256Hex());
    }
  });

  it('fails a body shorter than the trailer', async () => {
    await assert.rejects(pipeline(Readable.from([Buffer.alloc(10)]), new SplitSha256Trailer(), async function* (source) {
      for await (const _ of source) yield _;
    }));
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
