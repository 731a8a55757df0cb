import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyWrapError, type KeyWrapErrorCode } from './errors.js';
import { unwrapKey, wrapKey } from './key-wrap.js';
import { randomKey } from './random.js';

const masterKey = randomKey();
const userKey = randomKey();

function isKeyWrapError(code: KeyWrapErrorCode) {
  return (error: unknown) => error instanceof KeyWrapError && error.code === code;
}

describe('key wrapping', () => {
  it('unwraps what it wrapped', () => {
    const wrapped = wrapKey(masterKey, userKey, 'user:42');
    assert.match(wrapped, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    assert.ok(unwrapKey(masterKey, wrapped, 'user:42').equals(userKey));
  });

  it('uses a fresh nonce every time', () => {
    assert.notEqual(wrapKey(masterKey, userKey, 'user:42'), wrapKey(masterKey, userKey, 'user:42'));
  });

  it('refuses the wrong master key', () => {
    const wrapped = wrapKey(masterKey, userKey, 'user:42');
    assert.throws(() => unwrapKey(randomKey(), wrapped, 'user:42'), isKeyWrapError('unwrap-failed'));
  });

  it('refuses a wrapped key presented for another record', () => {
    const wrapped = wrapKey(masterKey, userKey, 'user:42');
    assert.throws(() => unwrapKey(masterKey, wrapped, 'user:43'), isKeyWrapError('unwrap-failed'));
  });

  it('refuses a tampered ciphertext', () => {
    const [version, nonce, ciphertext, tag] = wrapKey(masterKey, userKey, 'user:42').split('.');
    const bytes = Buffer.from(ciphertext as string, 'base64url');
    bytes[0] = (bytes[0] as number) ^ 1;
    const tampered = [version, nonce, bytes.toString('base64url'), tag].join('.');
    assert.throws(() => unwrapKey(masterKey, tampered, 'user:42'), isKeyWrapError('unwrap-failed'));
  });

  it('refuses text that is not a wrapped key', () => {
    for (const malformed of ['', 'v1', 'v2.AAAA.AAAA.AAAA', 'v1.AAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA', 'v1.a.b.c.d']) {
      assert.throws(() => unwrapKey(masterKey, malformed, 'user:42'), isKeyWrapError('malformed'));
    }
  });
});
