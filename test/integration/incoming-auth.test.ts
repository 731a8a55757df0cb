import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSourceIdentity, PeerTlsClient, type SourceIdentity } from '../helpers/peer-tls-client.js';
import { type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

const SYNC_PASSWORD = 'sync password 1';

describe('incoming syncs: who may open a session', () => {
  let test: TestServer;
  let admin: ApiClient;
  let sourceIdentity: SourceIdentity;
  let impostorIdentity: SourceIdentity;
  const clients: PeerTlsClient[] = [];
  const peer = (identity?: SourceIdentity) => {
    const client = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity });
    clients.push(client);
    return client;
  };

  before(async () => {
    test = await startTestServer();
    ({ admin } = await setUpServer(test));
    [sourceIdentity, impostorIdentity] = await Promise.all([makeSourceIdentity(), makeSourceIdentity()]);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await test.stop();
  });

  it('says hello with its name and fingerprint, even while it accepts no syncs', async () => {
    const hello = await peer(sourceIdentity).hello();
    assert.equal(hello.status, 200);
    assert.deepEqual(hello.body, { protocolVersion: 1, serverName: 'server-a', fingerprint: test.server.identity.fingerprint });
  });

  it('tells a caller of a later protocol version to upgrade this server, and keeps plain 404s for unknown v1 routes', async () => {
    const client = peer(sourceIdentity);
    for (const [method, urlPath] of [['GET', '/api/sync/v2/hello'], ['POST', '/api/sync/v17/session'], ['PUT', '/api/sync/v2/shares/alice/backup/file?path=a.enc']] as const) {
      const answer = await client.request(method, urlPath, method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {});
      assert.equal(answer.status, 404, urlPath);
      assert.equal(answer.body.error.code, 'PROTOCOL_VERSION_UNSUPPORTED');
      const wanted = /\/v(\d+)\//.exec(urlPath)?.[1];
      assert.equal(answer.body.error.message, `This server speaks peer protocol v1; the other server needs v${wanted}`);
      assert.match(answer.body.error.hint, /^Upgrade this server/);
    }
    for (const urlPath of ['/api/sync/v1/nothing-here', '/api/sync/v0/hello', '/api/sync/latest/hello']) {
      const answer = await client.request('GET', urlPath);
      assert.equal(answer.status, 404, urlPath);
      assert.equal(answer.body.error.code, 'NOT_FOUND', urlPath);
    }
  });

  it('accepts no incoming sync on a new server: 403 PEER_FORBIDDEN', async () => {
    const settings = await admin.get('/api/admin/settings/sync');
    assert.deepEqual(settings.body, { acceptIncoming: false, passwordSet: false, keepVersionsDays: 30, fingerprint: test.server.identity.fingerprint, peerPort: Number(new URL(test.url).port) });
    const refused = await peer(sourceIdentity).openSession('server-b', SYNC_PASSWORD);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'PEER_FORBIDDEN');
  });

  it('keeps the sync settings for administrators, and the password write-only as a scrypt hash', async () => {
    assert.equal((await test.client().get('/api/admin/settings/sync')).status, 401);
    const tooShort = await admin.request('PUT', '/api/admin/settings/sync', { password: 'short' });
    assert.equal(tooShort.status, 400);
    const saved = await admin.request<any>('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: SYNC_PASSWORD });
    assert.equal(saved.status, 200);
    assert.deepEqual(saved.body, { acceptIncoming: true, passwordSet: true, keepVersionsDays: 30, fingerprint: test.server.identity.fingerprint, peerPort: Number(new URL(test.url).port) });
    assert.equal(JSON.stringify((await admin.get('/api/admin/settings/sync')).body).includes(SYNC_PASSWORD), false);
    const database = await readFile(path.join(test.dataDir, 'db', 'anemone.db'));
    assert.equal(database.includes(Buffer.from(SYNC_PASSWORD)), false);
  });

  it('refuses a client without a certificate: 403 CLIENT_CERT_REQUIRED', async () => {
    const anonymous = peer();
    const refused = await anonymous.openSession('server-b', SYNC_PASSWORD);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'CLIENT_CERT_REQUIRED');
    const listing = await anonymous.listShares();
    assert.equal(listing.status, 403);
    assert.equal(listing.body.error.code, 'CLIENT_CERT_REQUIRED');
  });

  it('answers a missing or wrong password with 401 and WWW-Authenticate', async () => {
    for (const password of [undefined, 'wrong password']) {
      const refused = await peer(sourceIdentity).openSession('server-b', password);
      assert.equal(refused.status, 401, String(password));
      assert.equal(refused.body.error.code, 'PEER_UNAUTHORIZED');
      assert.equal(refused.headers['www-authenticate'], 'AnemonePeer realm="sync"');
    }
  });

  it('opens an hour-long session bound to the certificate that opened it', async () => {
    const source = peer(sourceIdentity);
    const opened = await source.openSession('server-b', SYNC_PASSWORD);
    assert.equal(opened.status, 200);
    assert.equal(opened.body.serverName, 'server-a');
    assert.equal(Buffer.from(opened.body.token, 'base64url').length, 32);
    const minutes = (Date.parse(opened.body.expiresAt) - Date.now()) / 60_000;
    assert.ok(minutes > 59 && minutes <= 60, `expires in ${minutes} minutes`);
    assert.equal((await source.listShares()).status, 200);

    const noToken = await source.request('GET', '/api/sync/v1/shares', { token: null });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.error.code, 'SESSION_INVALID');
    const madeUp = await source.request('GET', '/api/sync/v1/shares', { token: 'A'.repeat(43) });
    assert.equal(madeUp.body.error.code, 'SESSION_INVALID');

    // the token alone is not enough: it only works from the certificate that opened the session
    const thief = peer(impostorIdentity);
    const stolen = await thief.request('GET', '/api/sync/v1/shares', { token: source.token ?? null });
    assert.equal(stolen.status, 401);
    assert.equal(stolen.body.error.code, 'SESSION_INVALID');
  });

  it('binds a source name to its first certificate; another is refused until the administrator accepts it', async () => {
    const impostor = peer(impostorIdentity);
    const refused = await impostor.openSession('server-b', SYNC_PASSWORD);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'SOURCE_CERT_MISMATCH');

    const listed = await admin.get('/api/admin/incoming/server-b');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.fingerprint, sourceIdentity.fingerprint);
    assert.equal(listed.body.pendingFingerprint, impostorIdentity.fingerprint);

    const original = peer(sourceIdentity);
    assert.equal((await original.openSession('server-b', SYNC_PASSWORD)).status, 200);

    const accepted = await admin.post('/api/admin/incoming/server-b/accept-certificate');
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.fingerprint, impostorIdentity.fingerprint);
    assert.equal(accepted.body.pendingFingerprint, null);
    assert.equal((await admin.post('/api/admin/incoming/server-b/accept-certificate')).status, 404);

    assert.equal((await impostor.openSession('server-b', SYNC_PASSWORD)).status, 200);
    // the old certificate's session ended with its binding, and it may not open a new one
    const ended = await original.listShares();
    assert.equal(ended.status, 401);
    assert.equal(ended.body.error.code, 'SESSION_INVALID');
    assert.equal((await original.openSession('server-b', SYNC_PASSWORD)).body.error.code, 'SOURCE_CERT_MISMATCH');
  });

  it('checks on every request that incoming syncs are still accepted', async () => {
    const source = peer(impostorIdentity);
    assert.equal((await source.openSession('server-b', SYNC_PASSWORD)).status, 200);
    await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: false });
    const refused = await source.listShares();
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'PEER_FORBIDDEN');
    await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true });
    assert.equal((await source.listShares()).status, 200);
  });

  it('accepts sources without a password once the administrator removes it', async () => {
    const cleared = await admin.request<any>('PUT', '/api/admin/settings/sync', { password: null });
    assert.equal(cleared.body.passwordSet, false);
    const source = peer(await makeSourceIdentity());
    assert.equal((await source.openSession('server-c')).status, 200);
    await admin.request('PUT', '/api/admin/settings/sync', { password: SYNC_PASSWORD });
    assert.equal((await peer(await makeSourceIdentity()).openSession('server-d')).status, 401);
  });
});

describe('incoming syncs: password guesses are rate limited per address', () => {
  let test: TestServer;
  let client: PeerTlsClient;

  before(async () => {
    test = await startTestServer();
    const { admin } = await setUpServer(test);
    await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: SYNC_PASSWORD });
    client = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity: await makeSourceIdentity() });
  });
  after(async () => {
    await client.close();
    await test.stop();
  });

  it('answers 429 with Retry-After after five failures, even to the right password', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      assert.equal((await client.openSession('server-b', `wrong ${attempt}`)).status, 401);
    }
    for (const password of ['wrong again', SYNC_PASSWORD]) {
      const limited = await client.openSession('server-b', password);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'TOO_MANY_ATTEMPTS');
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After: ${retryAfter}`);
    }
  });
});
