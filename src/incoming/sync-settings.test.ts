import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { usePasswordCostForTests } from '../crypto/password-hash.js';
import { createRepositories, openDatabase } from '../db/index.js';
import { SyncSettings } from './sync-settings.js';

// 'an earlier password' hashed by earlier releases: N=2^17, r=8, p=1 (128 MiB), then N=2^16, r=8, p=2 (64 MiB).
const EARLIER_HASH = 'scrypt$17$8$1$3q2+7w4vGi8XqEUS9dlOmA==$URyCCDrpCVZ6LMZf1LY8vhmTj6x86aYGlVLgV/o1GJQ=';
const PREVIOUS_HASH = 'scrypt$16$8$2$Y09ybAuzNxEXjSHrKHE04g==$8bfZ/d2H5Kgmasda9DCiqSdderTv7cFHHDabvrV50cs=';

describe('the server password', () => {
  usePasswordCostForTests('production');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-sync-settings-'));
  const db = openDatabase(path.join(dir, 'anemone.db'));
  const repos = createRepositories(db);
  let sessionsEnded = 0;
  const settings = new SyncSettings(repos.settings, () => sessionsEnded++);
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('written by an earlier release is rewritten with today\'s parameters once a peer sends it, and keeps working', async () => {
    repos.settings.set('sync_password_hash', EARLIER_HASH);
    assert.equal(await settings.passwordAccepts('a wrong password'), false);
    assert.equal(repos.settings.get('sync_password_hash'), EARLIER_HASH);

    assert.equal(await settings.passwordAccepts('an earlier password'), true);
    assert.match(repos.settings.get('sync_password_hash') ?? '', /^scrypt\$15\$8\$4\$/);
    assert.equal(sessionsEnded, 0, 'the same password: open sessions stay');
    assert.equal(await settings.passwordAccepts('an earlier password'), true);
  });

  it('written with the previous parameters (N=2^16, p=2, 64 MiB) is rewritten with today\'s 32 MiB ones once a peer sends it', async () => {
    repos.settings.set('sync_password_hash', PREVIOUS_HASH);
    assert.equal(await settings.passwordAccepts('a wrong password'), false);
    assert.equal(repos.settings.get('sync_password_hash'), PREVIOUS_HASH);

    assert.equal(await settings.passwordAccepts('an earlier password'), true);
    assert.match(repos.settings.get('sync_password_hash') ?? '', /^scrypt\$15\$8\$4\$/);
    assert.equal(sessionsEnded, 0, 'the same password: open sessions stay');
    assert.equal(await settings.passwordAccepts('an earlier password'), true);
  });
});
