import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { TrailerHoldback } from './trailer-holdback.js';

describe('TrailerHoldback', () => {
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
