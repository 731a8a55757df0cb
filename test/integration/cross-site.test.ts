import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routePath } from '../../src/protocol/v1/index.js';
import { makeSourceIdentity, PeerTlsClient } from '../helpers/peer-tls-client.js';
import { type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('requests sent by the pages of another site', () => {
  let test: TestServer;
  let admin: ApiClient;

  before(async () => {
    test = await startTestServer();
    ({ admin } = await setUpServer(test));
  });
  after(() => test.stop());

  it('refuses a body-less text/plain POST from a foreign Origin, even with the session cookie: 403 CROSS_SITE_REQUEST', async () => {
    const forged = await admin.request<any>('POST', '/api/admin/sync/force', '', { origin: 'https://evil.example', 'content-type': 'text/plain' });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'CROSS_SITE_REQUEST');
    assert.match(forged.body.error.message, /evil\.example/);
    assert.ok(forged.body.error.hint);
  });

  it('refuses state changes whose Sec-Fetch-Site says cross-site, or whose Origin is another port of this host', async () => {
    const bySecFetch = await admin.request<any>('DELETE', '/api/admin/peers/1', undefined, { 'sec-fetch-site': 'cross-site' });
    assert.equal(bySecFetch.status, 403);
    assert.equal(bySecFetch.body.error.code, 'CROSS_SITE_REQUEST');
    const otherPort = await admin.request<any>('POST', '/api/admin/sync/force', undefined, { origin: 'https://127.0.0.1:1' });
    assert.equal(otherPort.body.error?.code, 'CROSS_SITE_REQUEST');
    const nullOrigin = await admin.request<any>('POST', '/api/auth/logout', undefined, { origin: 'null' });
    assert.equal(nullOrigin.body.error?.code, 'CROSS_SITE_REQUEST');
  });

  it("accepts the server's own pages, requests without Origin (scripts, the CLI) and reads from anywhere", async () => {
    const ownOrigin = new URL(test.url).origin;
    // the route's own answer (no peer yet): the request reached it
    const own = await admin.request<any>('POST', '/api/admin/sync/force', undefined, { origin: ownOrigin, 'sec-fetch-site': 'same-origin' });
    assert.equal(own.body.error?.code, 'NO_ENABLED_PEERS');
    const created = await admin.post('/api/admin/users', { username: 'bob' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await admin.request('GET', '/api/auth/me', undefined, { origin: 'https://evil.example' })).status, 200);
  });

  it('leaves the peer protocol (server to server) alone', async () => {
    const source = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity: await makeSourceIdentity() });
    const response = await source.request('POST', routePath('openSession'), {
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: JSON.stringify({ sourceServer: 'source-a' }),
    });
    // the protocol's own answer: this new server accepts no incoming sync
    assert.equal(response.status, 403);
    assert.equal(response.body.error.code, 'PEER_FORBIDDEN');
  });
});
