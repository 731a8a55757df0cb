import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ClusterServer, startNamedServer } from '../helpers/sync-cluster.js';

const PASSWORD = 'the server password of a';

describe('a peer that is this server itself is refused', () => {
  let a: ClusterServer;
  let b: ClusterServer;

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a', { acceptPassword: PASSWORD }), startNamedServer('server-b', { acceptPassword: PASSWORD })]);
  });
  after(() => Promise.all([a.test.stop(), b.test.stop()]));

  it("answers Test Connection of its own address with PEER_IS_THIS_SERVER and its own fingerprint, opening no session with itself", async () => {
    const tested = await a.admin.post('/api/admin/peers/test', { address: '127.0.0.1', port: a.port, password: PASSWORD });
    assert.equal(tested.status, 200);
    assert.equal(tested.body.ok, false);
    assert.equal(tested.body.outcome, 'PEER_IS_THIS_SERVER');
    assert.match(tested.body.message, /this server itself/);
    assert.match(tested.body.hint, /another Anemone server/);
    assert.equal(tested.body.fingerprint, a.test.server.identity.fingerprint);
    // no session was opened: the server did not file itself as a source of incoming backups
    assert.deepEqual(a.test.server.repos.incoming.listSources(), []);

    // the same form towards another server is fine
    const other = await a.admin.post('/api/admin/peers/test', { address: '127.0.0.1', port: b.port, password: PASSWORD });
    assert.equal(other.body.outcome, 'OK');
  });

  it('refuses to save or pin a peer with its own fingerprint, in any spelling', async () => {
    const own = a.test.server.identity.fingerprint;
    const created = await a.admin.post('/api/admin/peers', { name: 'myself', address: '127.0.0.1', port: a.port, fingerprint: own.replaceAll(':', '').toLowerCase() });
    assert.equal(created.status, 409);
    assert.equal(created.body.error.code, 'PEER_IS_THIS_SERVER');
    assert.equal((await a.admin.get('/api/admin/peers')).body.peers.length, 0);

    const saved = await a.admin.post('/api/admin/peers', { name: 'myself', address: '127.0.0.1', port: a.port });
    assert.equal(saved.status, 201);
    const pinned = await a.admin.request<any>('PATCH', `/api/admin/peers/${saved.body.id}`, { fingerprint: own });
    assert.equal(pinned.status, 409);
    assert.equal(pinned.body.error.code, 'PEER_IS_THIS_SERVER');
  });

  it('tests a saved peer that turns out to be this server: refused, and its status says why', async () => {
    const peer = (await a.admin.get('/api/admin/peers')).body.peers.find((entry: { name: string }) => entry.name === 'myself');
    const tested = await a.admin.post(`/api/admin/peers/${peer.id}/test`);
    assert.equal(tested.body.outcome, 'PEER_IS_THIS_SERVER');
    const after = (await a.admin.get('/api/admin/peers')).body.peers.find((entry: { name: string }) => entry.name === 'myself');
    assert.equal(after.fingerprint, null, 'nothing pinned');
    assert.equal(after.status, 'error');
    assert.match(after.statusMessage, /this server itself/);
  });
});
