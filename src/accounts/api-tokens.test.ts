import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createRepositories, openDatabase } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { apiTokenHash, looksLikeApiToken, newApiTokenSecret, sameApiTokenHash } from './api-token-secret.js';
import { ApiTokenService } from './api-tokens.js';

describe('API token secrets', () => {
  it('are anm_ and 32 random bytes in base64url, different every time', () => {
    const first = newApiTokenSecret();
    const second = newApiTokenSecret();
    assert.match(first, /^anm_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(first.slice(4), 'base64url').length, 32);
    assert.notEqual(first, second);
    assert.ok(looksLikeApiToken(first));
  });

  it('hash to the SHA-256 of the whole secret, in hex', () => {
    assert.equal(apiTokenHash('anm_example'), 'e7e0cfdf0983c98170019cefba0ec7641bfc4e6db3cb1eacb7e6feb1f6ba27b7');
    assert.match(apiTokenHash(newApiTokenSecret()), /^[0-9a-f]{64}$/);
  });

  it('refuse text of another shape without a lookup', () => {
    for (const text of ['', 'anm_', `anm_${'A'.repeat(42)}`, `anm_${'A'.repeat(44)}`, `xyz_${'A'.repeat(43)}`, `anm_${'A'.repeat(42)}=`]) {
      assert.equal(looksLikeApiToken(text), false, text);
    }
  });

  it('compare hashes equal only when every byte is', () => {
    const hash = apiTokenHash(newApiTokenSecret());
    assert.ok(sameApiTokenHash(hash, hash));
    assert.equal(sameApiTokenHash(hash, `${hash.slice(0, 63)}${hash[63] === '0' ? '1' : '0'}`), false);
    assert.equal(sameApiTokenHash(hash, ''), false);
  });
});

describe('ApiTokenService', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-api-tokens-'));
  const db = openDatabase(path.join(dir, 'anemone.db'));
  const repos = createRepositories(db);
  let clock = new Date('2026-03-01T10:00:00Z');
  const tokens = new ApiTokenService(repos, () => clock);
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const codeOf = (work: () => unknown) => {
    try {
      work();
    } catch (error) {
      assert.ok(error instanceof AnemoneError);
      return error.code;
    }
    return 'no error';
  };

  it('keeps only the hash of a secret: the database never holds it', () => {
    const { token, secret } = tokens.create({ name: 'prometheus', scope: 'metrics' });
    assert.deepEqual(token, { id: token.id, name: 'prometheus', scope: 'metrics', createdAt: '2026-03-01T10:00:00.000Z', lastUsedAt: null });
    const stored = db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(token.id) as Record<string, unknown>;
    assert.equal(stored.token_hash, apiTokenHash(secret));
    assert.ok(!JSON.stringify(stored).includes(secret.slice(4)));
    assert.deepEqual(tokens.list(), [token]);
  });

  it('opens its scope with the secret, and records when it was last used', () => {
    const { token, secret } = tokens.create({ name: 'grafana-agent', scope: 'metrics' });
    clock = new Date('2026-03-01T11:00:00Z');
    assert.equal(tokens.authorize(secret, 'metrics').id, token.id);
    assert.equal(tokens.list().find((listed) => listed.id === token.id)?.lastUsedAt, '2026-03-01T11:00:00.000Z');
  });

  it('refuses no token, an unknown one and a mangled one with API_TOKEN_INVALID', () => {
    const { secret } = tokens.create({ name: 'mangled', scope: 'metrics' });
    assert.equal(codeOf(() => tokens.authorize(undefined, 'metrics')), 'API_TOKEN_INVALID');
    assert.equal(codeOf(() => tokens.authorize(newApiTokenSecret(), 'metrics')), 'API_TOKEN_INVALID');
    assert.equal(codeOf(() => tokens.authorize(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, 'metrics')), 'API_TOKEN_INVALID');
  });

  it('refuses a token of another scope with API_TOKEN_SCOPE', () => {
    const secret = newApiTokenSecret();
    // a scope only a newer version knows: it opens nothing the metrics scope guards
    repos.apiTokens.insert({ name: 'from-a-newer-version', scope: 'backup-read', tokenHash: apiTokenHash(secret), createdAt: clock.toISOString() });
    assert.equal(codeOf(() => tokens.authorize(secret, 'metrics')), 'API_TOKEN_SCOPE');
  });

  it('refuses a second token of the same name', () => {
    tokens.create({ name: 'twice', scope: 'metrics' });
    assert.equal(codeOf(() => tokens.create({ name: 'twice', scope: 'metrics' })), 'API_TOKEN_NAME_TAKEN');
  });

  it('no longer opens anything once revoked, and a second revoke is NOT_FOUND', () => {
    const { token, secret } = tokens.create({ name: 'short-lived', scope: 'metrics' });
    tokens.revoke(token.id);
    assert.equal(codeOf(() => tokens.authorize(secret, 'metrics')), 'API_TOKEN_INVALID');
    assert.equal(codeOf(() => tokens.revoke(token.id)), 'NOT_FOUND');
    assert.ok(!tokens.list().some((listed) => listed.id === token.id));
  });
});
