import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { hashPassword, usePasswordCostForTests } from '../crypto/password-hash.js';
import { createRepositories, openDatabase } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { SessionService } from './session-service.js';

// 'an earlier password' hashed by earlier releases: N=2^17, r=8, p=1 (128 MiB), then N=2^16, r=8, p=2 (64 MiB).
const EARLIER_HASH = 'scrypt$17$8$1$3q2+7w4vGi8XqEUS9dlOmA==$URyCCDrpCVZ6LMZf1LY8vhmTj6x86aYGlVLgV/o1GJQ=';
const PREVIOUS_HASH = 'scrypt$16$8$2$Y09ybAuzNxEXjSHrKHE04g==$8bfZ/d2H5Kgmasda9DCiqSdderTv7cFHHDabvrV50cs=';

describe('SessionService sign-in', () => {
  usePasswordCostForTests('production');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-sessions-'));
  const db = openDatabase(path.join(dir, 'anemone.db'));
  const repos = createRepositories(db);
  const sessions = new SessionService(repos);
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const addUser = (username: string, passwordHash: string) =>
    repos.users.insertActive({ username, isAdmin: false, passwordHash, wrappedKey: 'w', keyCheck: 'k', createdAt: new Date().toISOString() });

  it('rewrites a hash with earlier parameters at a successful sign-in, and the password keeps working', async () => {
    const id = addUser('ada', EARLIER_HASH);
    await assert.rejects(sessions.login({ username: 'ada', password: 'wrong', remember: false }), (error: unknown) => error instanceof AnemoneError && error.code === 'BAD_CREDENTIALS');
    assert.equal(repos.users.findById(id)?.passwordHash, EARLIER_HASH, 'a failed sign-in rewrites nothing');

    const { token } = await sessions.login({ username: 'ada', password: 'an earlier password', remember: false });
    assert.equal(sessions.authenticate(token)?.id, id);
    const rewritten = repos.users.findById(id)?.passwordHash ?? '';
    assert.match(rewritten, /^scrypt\$15\$8\$4\$/);

    await sessions.login({ username: 'ada', password: 'an earlier password', remember: false });
    assert.equal(repos.users.findById(id)?.passwordHash, rewritten, 'a current hash is left as it is');
  });

  it('rewrites a hash with the previous parameters (N=2^16, p=2, 64 MiB) with today\'s 32 MiB ones at a successful sign-in', async () => {
    const id = addUser('linus', PREVIOUS_HASH);
    await assert.rejects(sessions.login({ username: 'linus', password: 'wrong', remember: false }), (error: unknown) => error instanceof AnemoneError && error.code === 'BAD_CREDENTIALS');
    assert.equal(repos.users.findById(id)?.passwordHash, PREVIOUS_HASH, 'a failed sign-in rewrites nothing');

    await sessions.login({ username: 'linus', password: 'an earlier password', remember: false });
    const rewritten = repos.users.findById(id)?.passwordHash ?? '';
    assert.match(rewritten, /^scrypt\$15\$8\$4\$/);
    const { token } = await sessions.login({ username: 'linus', password: 'an earlier password', remember: false });
    assert.equal(sessions.authenticate(token)?.id, id);
    assert.equal(repos.users.findById(id)?.passwordHash, rewritten, 'a current hash is left as it is');
  });

  it('leaves a current hash alone', async () => {
    const current = await hashPassword('a current password');
    const id = addUser('grace', current);
    await sessions.login({ username: 'grace', password: 'a current password', remember: true });
    assert.equal(repos.users.findById(id)?.passwordHash, current);
  });
});
