import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encryptedLength } from './encrypted-length.js';
import { encryptBuffer } from './format-v1.js';

describe('encryptedLength', () => {
  it('matches what the encoder writes, at and around chunk boundaries', () => {
    const key = Buffer.alloc(32, 7);
    const info = Buffer.from('test');
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 64, 65]) {
      const encrypted = encryptBuffer(key, info, Buffer.alloc(length, 1), { chunkSize: 16 });
      assert.equal(encryptedLength(length, 16), encrypted.length, `length ${length}`);
    }
  });

  it('gives 28 bytes for an empty file and 1 MiB + 28 for a full chunk', () => {
    assert.equal(encryptedLength(0), 28);
    assert.equal(encryptedLength(1_048_576), 1_048_576 + 28);
    assert.equal(encryptedLength(1_048_577), 1_048_577 + 44);
  });
});
