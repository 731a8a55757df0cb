import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabaseReadOnly } from '../../src/db/index.js';
import { unwrapPeerPassword } from '../../src/peers/peer-password.js';
import { type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

const PEER_PASSWORD = 'peer-secret-Zq81x';
const fingerprint = (byte: string) => Array.from({ length: 32 }, () => byte).join(':');

/** Every file of the database (the WAL holds recent writes), as one buffer. */
async function databaseBytes(dataDir: string): Promise<Buffer> {
  const dir = path.join(dataDir, 'db');
  const names = await readdir(dir);
  return Buffer.concat(await Promise.all(names.map((name) => readFile(path.join(dir, name)))));
}

describe('peers: add, list, edit, delete over the API', () => {
  let test: TestServer;
  let admin: ApiClient;

  before(async () => {
    test = await startTestServer();
    ({ admin } = await setUpServer(test));
  });
  after(() => test.stop());

  it('is for administrators only', async () => {
    assert.equal((await test.client().get('/api/admin/peers')).status, 401);
    assert.equal((await test.client().post('/api/admin/peers', { name: 'x', address: 'x' })).status, 401);
    assert.equal((await test.client().post('/api/admin/peers/test', { address: '127.0.0.1' })).status, 401);
  });

  let peerId: number;

  it('adds a peer with the defaults, and never returns its password', async () => {
    const created = await admin.post('/api/admin/peers', { name: 'Server B', address: '192.0.2.10', password: PEER_PASSWORD });
    assert.equal(created.status, 201);
    peerId = created.body.id;
    assert.deepEqual(created.body, {
      id: peerId,
      name: 'Server B',
      address: '192.0.2.10',
      port: 8443,
      passwordSet: true,
      enabled: true,
      timeoutMinutes: 30,
      fingerprint: null,
      uploadLimitKiBps: null,
      uploadWindows: [],
      remoteServerName: null,
      status: null,
      statusMessage: null,
      lastContactAt: null,
      lastSeenAt: null,
      createdAt: created.body.createdAt,
    });
    assert.ok(!Number.isNaN(Date.parse(created.body.createdAt)));

    const list = await admin.get('/api/admin/peers');
    assert.equal(list.status, 200);
    assert.equal(list.body.peers.length, 1);
    assert.equal(JSON.stringify(list.body).includes(PEER_PASSWORD), false);
    assert.equal('password' in list.body.peers[0], false);
  });

  it('stores the password only wrapped by the master key, bound to the peer', async () => {
    assert.equal((await databaseBytes(test.dataDir)).includes(Buffer.from(PEER_PASSWORD)), false);
    const db = openDatabaseReadOnly(path.join(test.dataDir, 'db', 'anemone.db'));
    try {
      const row = db.prepare('SELECT wrapped_password FROM peers WHERE id = ?').get(peerId) as { wrapped_password: string };
      assert.match(row.wrapped_password, /^v1\./);
      const masterKey = Buffer.from((await readFile(path.join(test.dataDir, 'secrets', 'master.key'), 'utf8')).trim(), 'base64');
      assert.equal(unwrapPeerPassword(masterKey, peerId, row.wrapped_password), PEER_PASSWORD);
      assert.throws(() => unwrapPeerPassword(masterKey, peerId + 1, row.wrapped_password), /could not be unwrapped/);
    } finally {
      db.close();
    }
  });

  it('takes every field, and normalises the address and the fingerprint', async () => {
    const created = await admin.post('/api/admin/peers', {
      name: 'grandma.nas',
      address: '[2001:db8::7]',
      port: 9443,
      enabled: false,
      timeoutMinutes: 1440,
      fingerprint: fingerprint('ab').replaceAll(':', ''),
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.address, '2001:db8::7');
    assert.equal(created.body.port, 9443);
    assert.equal(created.body.enabled, false);
    assert.equal(created.body.timeoutMinutes, 1440);
    assert.equal(created.body.fingerprint, fingerprint('AB'));
    assert.equal(created.body.passwordSet, false);
  });

  it('refuses invalid fields, naming each', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', address: 'nas' }, 'name'],
      [{ name: '-x', address: 'nas' }, 'name'],
      [{ name: 'x'.repeat(65), address: 'nas' }, 'name'],
      [{ name: 'ok', address: 'https://nas.example' }, 'address'],
      [{ name: 'ok', address: 'nas.example/backup' }, 'address'],
      [{ name: 'ok', address: 'nas.example:8443' }, 'address'],
      [{ name: 'ok', address: 'nas', port: 0 }, 'port'],
      [{ name: 'ok', address: 'nas', port: 65536 }, 'port'],
      [{ name: 'ok', address: 'nas', port: '8443' }, 'port'],
      [{ name: 'ok', address: 'nas', timeoutMinutes: 0 }, 'timeoutMinutes'],
      [{ name: 'ok', address: 'nas', timeoutMinutes: 1441 }, 'timeoutMinutes'],
      [{ name: 'ok', address: 'nas', fingerprint: 'AB:CD' }, 'fingerprint'],
      [{ name: 'ok', address: 'nas', password: '' }, 'password'],
      [{ name: 'ok', address: 'nas', enabled: 'yes' }, 'enabled'],
    ];
    for (const [body, field] of cases) {
      const response = await admin.post('/api/admin/peers', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        response.body.error.fields.map((f: { path: string }) => f.path),
        [field],
        JSON.stringify(body),
      );
      assert.ok(response.body.error.hint);
    }
  });

  it('refuses a second peer with the same name', async () => {
    const response = await admin.post('/api/admin/peers', { name: 'Server B', address: 'other.example' });
    assert.equal(response.status, 400);
    assert.match(response.body.error.message, /already exists/);
  });

  it('edits fields, replaces and removes the password, and unpins', async () => {
    const moved = await admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { address: 'nas.example.org', port: 10443, fingerprint: fingerprint('cd') });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.address, 'nas.example.org');
    assert.equal(moved.body.port, 10443);
    assert.equal(moved.body.fingerprint, fingerprint('CD'));
    assert.equal(moved.body.passwordSet, true, 'a patch without password keeps it');
    assert.equal(moved.body.name, 'Server B');

    const cleared = await admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { password: null, fingerprint: null });
    assert.equal(cleared.body.passwordSet, false);
    assert.equal(cleared.body.fingerprint, null);

    const replaced = await admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { password: 'another secret', enabled: false, timeoutMinutes: 5 });
    assert.equal(replaced.body.passwordSet, true);
    assert.equal(replaced.body.enabled, false);
    assert.equal(replaced.body.timeoutMinutes, 5);
    assert.equal(JSON.stringify(replaced.body).includes('another secret'), false);

    const renamedOntoOther = await admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { name: 'grandma.nas' });
    assert.equal(renamedOntoOther.status, 400);
    const badPort = await admin.request<any>('PATCH', `/api/admin/peers/${peerId}`, { port: 70000 });
    assert.equal(badPort.status, 400);
    assert.equal((await admin.request<any>('PATCH', '/api/admin/peers/99999', { port: 1 })).status, 404);
  });

  it('deletes a peer', async () => {
    assert.equal((await admin.delete(`/api/admin/peers/${peerId}`)).status, 204);
    assert.equal((await admin.delete(`/api/admin/peers/${peerId}`)).status, 404);
    assert.equal((await admin.post(`/api/admin/peers/${peerId}/test`)).status, 404);
    const names = (await admin.get('/api/admin/peers')).body.peers.map((peer: { name: string }) => peer.name);
    assert.deepEqual(names, ['grandma.nas']);
  });

  it('refuses to hand the sync engine a client for a peer whose fingerprint is not confirmed', async () => {
    const created = await admin.post('/api/admin/peers', { name: 'unpinned', address: '127.0.0.1' });
    assert.throws(
      () => test.server.services.peers.clientFor(created.body.id),
      (error: any) => error.code === 'PEER_NOT_PINNED' && /Test Connection first/.test(error.hint),
    );
  });
});
