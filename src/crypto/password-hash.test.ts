import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PasswordHashError } from './errors.js';
import { hashPassword, passwordHashIsCurrent, usePasswordCostForTests, verifyPassword } from './password-hash.js';

// Each hash costs ~0.3 s by design, so these tests share two of them.
describe('password hashing', async () => {
  const stored = await hashPassword('correct horse battery staple');

  it('stores the scrypt parameters, salt and hash', () => {
    assert.match(stored, /^scrypt\$15\$8\$4\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    assert.equal(passwordHashIsCurrent(stored), true);
  });

  it('still verifies a hash written with the earlier parameters (N=2^17, p=1), and calls it not current', async () => {
    // Written by the previous release for 'an earlier password'.
    const earlier = 'scrypt$17$8$1$3q2+7w4vGi8XqEUS9dlOmA==$URyCCDrpCVZ6LMZf1LY8vhmTj6x86aYGlVLgV/o1GJQ=';
    assert.equal(await verifyPassword('an earlier password', earlier), true);
    assert.equal(await verifyPassword('another password', earlier), false);
    assert.equal(passwordHashIsCurrent(earlier), false);
  });

  it('still verifies a hash written with the previous parameters (N=2^16, p=2), and calls it not current', async () => {
    // Written by the previous release (64 MiB a hash) for 'an earlier password'.
    const previous = 'scrypt$16$8$2$Y09ybAuzNxEXjSHrKHE04g==$8bfZ/d2H5Kgmasda9DCiqSdderTv7cFHHDabvrV50cs=';
    assert.equal(await verifyPassword('an earlier password', previous), true);
    assert.equal(await verifyPassword('another password', previous), false);
    assert.equal(passwordHashIsCurrent(previous), false);
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

describe('the test-only password cost', () => {
  it('makes cheap hashes that verify, and production hashes again once switched back', async () => {
    usePasswordCostForTests('test');
    const cheap = await hashPassword('a test password');
    usePasswordCostForTests('production');
    assert.match(cheap, /^scrypt\$10\$8\$1\$/);
    assert.equal(await verifyPassword('a test password', cheap), true);
    assert.match(await hashPassword('a test password'), /^scrypt\$15\$8\$4\$/);
  });

  it('is never switched on by the server or the CLI: only tests call it', async () => {
    const callers: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts') && full !== fileURLToPath(new URL('./password-hash.ts', import.meta.url))) {
          if ((await readFile(full, 'utf8')).includes('usePasswordCostForTests')) callers.push(full);
        }
      }
    };
    await walk(fileURLToPath(new URL('..', import.meta.url)));
    assert.deepEqual(callers, []);
  });
});
