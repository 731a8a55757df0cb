import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PasswordHashError } from './errors.js';
import { hashPassword, verifyPassword } from './password-hash.js';

// Each hash costs ~0.3 s by design, so these tests share two of them.
describe('password hashing', async () => {
  const stored = await hashPassword('correct horse battery staple');

  it('stores the scrypt parameters, salt and hash', () => {
    assert.match(stored, /^scrypt\$17\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  });

  it('accepts the right password and refuses a wrong one', async () => {
    assert.equal(await verifyPassword('correct horse battery staple', stored), true);
    assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
  });

  it('salts every hash', async () => {
    assert.notEqual(await hashPassword('correct horse battery staple'), stored);
  });

  it('refuses a stored value that is not a scrypt hash', async () => {
    for (const malformed of ['', 'argon2id$v=19$...', 'scrypt$17$8$1$$', 'scrypt$x$8$1$AAAA$AAAA']) {
      await assert.rejects(
        verifyPassword('anything', malformed),
        (error: unknown) => error instanceof PasswordHashError && error.code === 'malformed-hash',
      );
    }
  });

  it('refuses parameters beyond the memory limit instead of trying them', async () => {
    const [, , , , salt, hash] = stored.split('$');
    await assert.rejects(
      verifyPassword('anything', ['scrypt', 24, 8, 1, salt, hash].join('$')),
      (error: unknown) => error instanceof PasswordHashError && error.code === 'malformed-hash',
    );
  });

  it('takes a password typed with composed or decomposed accents as the same (NFC, in the worker lanes too)', async () => {
    const composed = await hashPassword('\u00e9t\u00e9 \u00e0 la plage');
    assert.equal(await verifyPassword('e\u0301te\u0301 a\u0300 la plage', composed, 'peers'), true);
  });
});
