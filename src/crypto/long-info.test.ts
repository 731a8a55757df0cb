import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decryptBuffer, deriveKey, encryptBuffer, fileInfo, hkdfOneBlock } from './format-v1.js';

describe('key derivation for long paths', () => {
  it('computes the same HKDF-SHA256 as node:crypto wherever node:crypto can', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 1024 }), (key, salt, info) => {
        const expected = Buffer.from(hkdfSync('sha256', key, salt, info, 32));
        return hkdfOneBlock(Buffer.from(key), Buffer.from(salt), Buffer.from(info)).equals(expected);
      }),
    );
  });

  it('derives a key for a relPath too long for node:crypto, and round-trips a file under it', () => {
    const relPath = `${'d'.repeat(200)}/`.repeat(15) + 'deep.txt';
    const info = fileInfo({ sourceServer: 's', user: 'u', share: 'backup', relPath });
    assert.ok(info.length > 1024);
    assert.equal(deriveKey(randomBytes(32), randomBytes(12), info).length, 32);
    const userKey = randomBytes(32);
    const plaintext = randomBytes(5000);
    assert.deepEqual(decryptBuffer(userKey, info, encryptBuffer(userKey, info, plaintext)), plaintext);
  });
});
