import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SALT_LENGTH } from './format-v1.js';
import { SaltBlock } from './salt-block.js';

describe('SaltBlock', () => {
  it('hands out salts of 12 bytes that all differ, across several blocks', () => {
    const salts = new SaltBlock();
    const seen = new Set<string>();
    for (let index = 0; index < 2000; index += 1) {
      const salt = salts.take();
      assert.equal(salt.length, SALT_LENGTH);
      seen.add(salt.toString('hex'));
    }
    assert.equal(seen.size, 2000);
  });

  it('never changes a salt it handed out when it draws the next block', () => {
    const salts = new SaltBlock();
    const first = salts.take();
    const copy = Buffer.from(first);
    for (let index = 0; index < 1000; index += 1) salts.take();
    assert.ok(first.equals(copy));
  });
});
