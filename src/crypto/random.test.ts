import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomKey, randomToken, sha256Hex } from './random.js';

describe('random values and hashes', () => {
  it('makes 32-byte keys that differ', () => {
    assert.equal(randomKey().length, 32);
    assert.notDeepEqual(randomKey(), randomKey());
  });

  it('makes 32-byte base64url tokens', () => {
    assert.match(randomToken(), /^[A-Za-z0-9_-]{43}$/);
  });

  it('hashes strings as UTF-8 and buffers as bytes', () => {
    const emptyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    assert.equal(sha256Hex(''), emptyHash);
    assert.equal(sha256Hex(Buffer.alloc(0)), emptyHash);
    assert.equal(sha256Hex('été'), sha256Hex(Buffer.from('été', 'utf8')));
    // pieces hash as their concatenation, however they are cut
    const whole = Buffer.from('a file that arrived in pieces');
    assert.equal(sha256Hex([whole]), sha256Hex(whole));
    assert.equal(sha256Hex([whole.subarray(0, 7), whole.subarray(7, 8), whole.subarray(8)]), sha256Hex(whole));
    assert.equal(sha256Hex([]), emptyHash);
  });
});
