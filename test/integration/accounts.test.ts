import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN, type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('setup, users, activation and sessions over HTTPS', () => {
  let test: TestServer;
  let admin: ApiClient;
  let adminKey: string;

  before(async () => {
    test = await startTestServer();
  });
  after(() => test.stop());

  it('answers /health and sends the security headers', async () => {
    const response = await test.client().get('/health');
    assert.equal(response.status, 200);
    assert.equal(response.body, 'OK');
    assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    // a same-origin form post (the Restore page's ZIP) must carry a real Origin, which no-referrer would make "null"
    assert.equal(response.headers.get('referrer-policy'), 'same-origin');
  });

  it('reports that it is not set up, and refuses a bad setup with the field named', async () => {
    const client = test.client();
    assert.deepEqual((await client.get('/api/setup')).body, { setUp: false });
    const bad = await client.post('/api/setup', { serverName: 'Server A!', username: 'admin', password: 'short' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    const fields = bad.body.error.fields.map((field: { path: string }) => field.path).sort();
    assert.deepEqual(fields, ['password', 'serverName']);
    assert.ok(bad.body.error.hint);
  });

  it('sets up once: returns the admin key, signs the admin in, then answers 409', async () => {
    ({ admin, adminKey } = await setUpServer(test));
    assert.equal(Buffer.from(adminKey, 'base64').length, 32);
    const me = await admin.get('/api/auth/me');
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { id: me.body.id, username: 'admin', isAdmin: true, serverName: 'server-a' });

    const again = await test.client().post('/api/setup', { ...ADMIN, username: 'mallory' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'ALREADY_SET_UP');
  });

  it('keeps the master key out of the database and user keys wrapped in it', async () => {
    const masterKey = (await readFile(path.join(test.dataDir, 'secrets', 'master.key'), 'utf8')).trim();
    assert.equal(Buffer.from(masterKey, 'base64').length, 32);
    assert.equal((await stat(path.join(test.dataDir, 'secrets', 'master.key'))).mode & 0o777, 0o600);
    const database = await readFile(path.join(test.dataDir, 'db', 'anemone.db'));
    assert.equal(database.includes(Buffer.from(masterKey)), false);
    assert.equal(database.includes(Buffer.from(adminKey)), false);
    assert.equal(database.includes(Buffer.from(adminKey, 'base64')), false);
  });

  it('shows the fingerprint of its certificate and the port peers connect to (the one port) to the admin', async () => {
    const response = await admin.get('/api/admin/server');
    assert.equal(response.status, 200);
    assert.equal(response.body.fingerprint, test.server.identity.fingerprint);
    assert.equal(response.body.peerPort, Number(new URL(test.url).port));
    assert.equal(response.body.serverName, 'server-a');
  });

  it('creates a user who activates once, receives the key once, and signs in', async () => {
    const created = await admin.post('/api/admin/users', { username: 'alice' });
    assert.equal(created.status, 201);
    assert.equal(created.body.activated, false);
    const token: string = created.body.activationToken;
    assert.ok(token.length >= 40);

    const alice = test.client();
    const activated = await alice.post('/api/activate', { token, password: 'alice password 1' });
    assert.equal(activated.status, 200);
    assert.equal(activated.body.username, 'alice');
    assert.equal(Buffer.from(activated.body.encryptionKey, 'base64').length, 32);
    assert.equal(activated.headers.get('cache-control'), 'no-store');

    const reused = await alice.post('/api/activate', { token, password: 'another password' });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error.code, 'ACTIVATION_INVALID');

    const login = await alice.post('/api/auth/login', { username: 'alice', password: 'alice password 1' });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.isAdmin, false);
    assert.equal((await alice.get('/api/auth/me')).body.username, 'alice');
  });

  it('sets a Secure, HttpOnly, SameSite=Strict cookie, persistent only with remember me', async () => {
    const plain = await test.client().post('/api/auth/login', { username: 'alice', password: 'alice password 1' });
    const cookie = plain.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /Secure/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.doesNotMatch(cookie, /Expires=/i);

    const remembered = await test.client().post('/api/auth/login', { username: 'alice', password: 'alice password 1', remember: true });
    const expires = /Expires=([^;]+)/i.exec(remembered.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(expires, 'a remembered session has an expiry');
    const days = (Date.parse(expires) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `expires in ${days} days`);
  });

  it('gives every user a synced backup share and an unsynced data share', async () => {
    const alice = test.client();
    await alice.post('/api/auth/login', { username: 'alice', password: 'alice password 1' });
    const shares = await alice.get('/api/shares');
    assert.equal(shares.status, 200);
    const summary = shares.body.shares.map((share: { name: string; syncEnabled: boolean }) => [share.name, share.syncEnabled]);
    assert.deepEqual(summary, [
      ['backup', true],
      ['data', false],
    ]);
    assert.ok((await stat(path.join(test.dataDir, 'shares', 'alice', 'backup'))).isDirectory());
  });

  it('enforces roles: a user gets 403 on admin routes, a stranger 401', async () => {
    const alice = test.client();
    await alice.post('/api/auth/login', { username: 'alice', password: 'alice password 1' });
    const forbidden = await alice.get('/api/admin/users');
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'FORBIDDEN');
    assert.equal((await alice.post('/api/admin/users', { username: 'eve' })).status, 403);

    const stranger = await test.client().get('/api/shares');
    assert.equal(stranger.status, 401);
    assert.equal(stranger.body.error.code, 'NOT_AUTHENTICATED');
  });

  it('refuses invalid usernames and a taken one', async () => {
    for (const username of ['Alice', '-x', 'a b', '../etc', 'x'.repeat(33)]) {
      const response = await admin.post('/api/admin/users', { username });
      assert.equal(response.status, 400, username);
    }
    const taken = await admin.post('/api/admin/users', { username: 'alice' });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'USERNAME_TAKEN');
  });

  it('ends a session at logout', async () => {
    const alice = test.client();
    await alice.post('/api/auth/login', { username: 'alice', password: 'alice password 1' });
    assert.equal((await alice.post('/api/auth/logout')).status, 204);
    assert.equal((await alice.get('/api/auth/me')).status, 401);
  });

  it('deletes a user, who can no longer sign in', async () => {
    const created = await admin.post('/api/admin/users', { username: 'bob' });
    await test.client().post('/api/activate', { token: created.body.activationToken, password: 'bob password 1' });
    const bob = test.client();
    assert.equal((await bob.post('/api/auth/login', { username: 'bob', password: 'bob password 1' })).status, 200);

    assert.equal((await admin.delete(`/api/admin/users/${created.body.id}`)).status, 204);
    assert.equal((await bob.get('/api/auth/me')).status, 401);
    const users = (await admin.get('/api/admin/users')).body.users.map((user: { username: string }) => user.username);
    assert.deepEqual(users, ['admin', 'alice']);
  });

  it('rate-limits sign-in attempts with 429 and Retry-After', async () => {
    const client = test.client();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 12; attempt++) {
      const response = await client.post('/api/auth/login', { username: 'alice', password: `wrong ${attempt}` });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        assert.equal(response.body.error.code, 'TOO_MANY_ATTEMPTS');
      }
    }
    assert.ok(statuses.includes(401), 'wrong passwords are 401 before the limit');
    assert.equal(statuses.at(-1), 429);
    assert.ok(Number(retryAfter) > 0, `Retry-After: ${retryAfter}`);
  });
});
