import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { userKeyCheck } from '../../src/accounts/user-keys.js';
import { parseKeyText } from '../../src/crypto/index.js';
import { type ApiClient, type ApiResponse, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('password change and new activation links over HTTPS', () => {
  let test: TestServer;
  let admin: ApiClient;

  before(async () => {
    test = await startTestServer();
    ({ admin } = await setUpServer(test));
  });
  after(() => test.stop());

  async function activeUser(username: string, password: string): Promise<{ id: number; client: ApiClient; key: Buffer }> {
    const created = await admin.post('/api/admin/users', { username });
    const client = test.client();
    const activated = await client.post('/api/activate', { token: created.body.activationToken, password });
    assert.equal(activated.status, 200);
    assert.equal(activated.body.keyUnchanged, false);
    const key = Buffer.from(activated.body.encryptionKey, 'base64');
    assert.deepEqual(parseKeyText(activated.body.encryptionKeyGrouped), key, 'the grouped form is the same key');
    assert.equal((await client.post('/api/auth/login', { username, password })).status, 200);
    return { id: created.body.id, client, key };
  }

  function wrappedKeyOf(username: string): { wrappedKey: string | null; keyCheck: string | null } {
    const row = test.server.repos.users.findByUsername(username);
    assert.ok(row);
    return { wrappedKey: row.wrappedKey, keyCheck: row.keyCheck };
  }

  it('changes the password after checking the current one: other sessions end, this one stays, the key stays', async () => {
    const { client, key } = await activeUser('carol', 'carol password 1');
    const elsewhere = test.client();
    assert.equal((await elsewhere.post('/api/auth/login', { username: 'carol', password: 'carol password 1' })).status, 200);
    const keyBefore = wrappedKeyOf('carol');

    const changed = await client.post('/api/auth/password', { currentPassword: 'carol password 1', newPassword: 'carol password 2' });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body, { otherSessionsEnded: 1 });

    assert.equal((await client.get('/api/auth/me')).status, 200, 'the session that changed it stays');
    assert.equal((await elsewhere.get('/api/auth/me')).status, 401, 'another session ended');
    assert.equal((await test.client().post('/api/auth/login', { username: 'carol', password: 'carol password 1' })).status, 401);
    assert.equal((await test.client().post('/api/auth/login', { username: 'carol', password: 'carol password 2' })).status, 200);
    assert.deepEqual(wrappedKeyOf('carol'), keyBefore, 'the key is wrapped by the master key, not the password: untouched');
    assert.equal(keyBefore.keyCheck, userKeyCheck(key));
  });

  it('refuses a wrong current password and a too-short new one, changing nothing', async () => {
    const { client } = await activeUser('dave', 'dave password 1');
    const wrong = await client.post('/api/auth/password', { currentPassword: 'not my password', newPassword: 'dave password 2' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'CURRENT_PASSWORD_WRONG');
    assert.match(wrong.body.error.hint, /new activation link/);
    const short = await client.post('/api/auth/password', { currentPassword: 'dave password 1', newPassword: 'short' });
    assert.equal(short.status, 400);
    assert.deepEqual(short.body.error.fields.map((field: { path: string }) => field.path), ['newPassword']);
    assert.equal((await test.client().post('/api/auth/login', { username: 'dave', password: 'dave password 1' })).status, 200);
    assert.equal((await client.get('/api/auth/me')).status, 200, 'a wrong password does not sign the user out');
    const stranger = await test.client().post('/api/auth/password', { currentPassword: 'x', newPassword: 'a long new password' });
    assert.equal(stranger.status, 401);
  });

  it('rate-limits wrong current passwords like sign-ins, with 429 and Retry-After', async () => {
    const { client } = await activeUser('erin', 'erin password 1');
    let limited: ApiResponse<any> | undefined;
    for (let attempt = 0; attempt < 15 && !limited; attempt += 1) {
      const answer = await client.post('/api/auth/password', { currentPassword: `guess ${attempt}`, newPassword: 'erin password 2' });
      if (answer.status === 429) limited = answer;
      else assert.equal(answer.status, 403);
    }
    assert.ok(limited, 'refused with 429 before 15 tries');
    assert.equal(limited.body.error.code, 'TOO_MANY_ATTEMPTS');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  it('issues a new link to a pending user: the earlier link stops working, the new one activates', async () => {
    const created = await admin.post('/api/admin/users', { username: 'frank' });
    const reissued = await admin.post(`/api/admin/users/${created.body.id}/activation`);
    assert.equal(reissued.status, 201);
    assert.equal(reissued.body.username, 'frank');
    assert.equal(reissued.body.activated, false);
    assert.notEqual(reissued.body.activationToken, created.body.activationToken);
    assert.equal(reissued.headers.get('cache-control'), 'no-store');

    const old = await test.client().post('/api/activate', { token: created.body.activationToken, password: 'frank password 1' });
    assert.equal(old.status, 400);
    assert.equal(old.body.error.code, 'ACTIVATION_INVALID');
    const activated = await test.client().post('/api/activate', { token: reissued.body.activationToken, password: 'frank password 1' });
    assert.equal(activated.status, 200);
    assert.equal(activated.body.keyUnchanged, false);
    assert.equal(Buffer.from(activated.body.encryptionKey, 'base64').length, 32);
  });

  it("resets an active user's password with a new link: the same key, not shown again, every session ended, the link works once", async () => {
    const { id, client, key } = await activeUser('grace', 'grace password 1');
    const keyBefore = wrappedKeyOf('grace');
    const link = await admin.post(`/api/admin/users/${id}/activation`);
    assert.equal(link.status, 201);
    assert.equal(link.body.activated, true, 'still active while the link waits');
    assert.ok(link.body.activationExpiresAt);
    assert.equal((await test.client().post('/api/auth/login', { username: 'grace', password: 'grace password 1' })).status, 200, 'the old password works until the link is used');

    const short = await test.client().post('/api/activate', { token: link.body.activationToken, password: 'short' });
    assert.equal(short.status, 400);
    const reset = await test.client().post('/api/activate', { token: link.body.activationToken, password: 'grace password 2' });
    assert.equal(reset.status, 200);
    assert.deepEqual(reset.body, { username: 'grace', keyUnchanged: true }, 'no key in the answer');

    assert.equal((await client.get('/api/auth/me')).status, 401, 'sessions with the old password ended');
    assert.equal((await test.client().post('/api/auth/login', { username: 'grace', password: 'grace password 1' })).status, 401);
    assert.equal((await test.client().post('/api/auth/login', { username: 'grace', password: 'grace password 2' })).status, 200);
    assert.deepEqual(wrappedKeyOf('grace'), keyBefore, 'the key is kept');
    assert.equal(keyBefore.keyCheck, userKeyCheck(key));

    const again = await test.client().post('/api/activate', { token: link.body.activationToken, password: 'grace password 3' });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'ACTIVATION_INVALID');
    const listed = (await admin.get('/api/admin/users')).body.users.find((user: { username: string }) => user.username === 'grace');
    assert.equal(listed.activationExpiresAt, null, 'the link is consumed');
  });

  it('lets only administrators issue links, and answers 404 for an unknown user', async () => {
    const { id, client } = await activeUser('heidi', 'heidi password 1');
    const refused = await client.post(`/api/admin/users/${id}/activation`);
    assert.equal(refused.status, 403);
    assert.equal((await test.client().post(`/api/admin/users/${id}/activation`)).status, 401);
    const missing = await admin.post('/api/admin/users/99999/activation');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
  });
});
