import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateIdentity, type ServerIdentity } from '../../src/identity/identity.js';
import { type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

const PEER_PASSWORD = 'the password of server b';
/** A pinned fingerprint that no server of the test presents (pinning a server's own is refused: PEER_IS_THIS_SERVER). */
const ANOTHER_FINGERPRINT = Array.from({ length: 32 }, () => 'AB').join(':');

/** A TLS server with another identity that records whether any application byte reached it. */
async function startImpostor(): Promise<{ port: number; identity: ServerIdentity; handshakes: () => number; bytesReceived: () => number; close(): Promise<void> }> {
  const certsDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-impostor-'));
  const identity = await loadOrCreateIdentity({ certsDir });
  let handshakes = 0;
  let bytes = 0;
  const server = tls.createServer({ cert: identity.certPem, key: identity.keyPem, requestCert: true, rejectUnauthorized: false }, (socket) => {
    handshakes++;
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    identity,
    handshakes: () => handshakes,
    bytesReceived: () => bytes,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await rm(certsDir, { recursive: true, force: true });
    },
  };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Test Connection between two real servers', () => {
  let a: TestServer;
  let b: TestServer;
  let adminA: ApiClient;
  let adminB: ApiClient;
  let portB: number;

  before(async () => {
    [a, b] = await Promise.all([startTestServer(), startTestServer()]);
    ({ admin: adminA } = await setUpServer(a, { serverName: 'server-a', username: 'admin', password: 'server a admin password' }));
    ({ admin: adminB } = await setUpServer(b, { serverName: 'server-b', username: 'admin', password: 'server b admin password' }));
    portB = Number(new URL(b.url).port);
  });
  after(() => Promise.all([a.stop(), b.stop()]));

  it('403 forbidden while the peer does not accept syncs, yet shows who answered', async () => {
    const result = await adminA.post('/api/admin/peers/test', { address: '127.0.0.1', port: portB, password: PEER_PASSWORD });
    assert.equal(result.status, 200);
    assert.equal(result.body.ok, false);
    assert.equal(result.body.outcome, 'PEER_FORBIDDEN');
    assert.equal(result.body.message, '403 Forbidden — the peer is not accepting syncs; check its settings');
    assert.ok(result.body.hint);
    assert.equal(result.body.fingerprint, b.server.identity.fingerprint);
    assert.equal(result.body.serverName, 'server-b');
  });

  it('ok, with the peer name and the fingerprint of its identity, once it accepts syncs with a password', async () => {
    const settings = await adminB.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: PEER_PASSWORD });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const result = await adminA.post('/api/admin/peers/test', { address: '127.0.0.1', port: portB, password: PEER_PASSWORD });
    assert.equal(result.body.outcome, 'OK', JSON.stringify(result.body));
    assert.equal(result.body.ok, true);
    assert.equal(result.body.serverName, 'server-b');
    assert.equal(result.body.fingerprint, b.server.identity.fingerprint);
    assert.match(result.body.hint, /Compare this fingerprint/);
  });

  it('401 unauthorized with a wrong or a missing password', async () => {
    const wrong = await adminA.post('/api/admin/peers/test', { address: '127.0.0.1', port: portB, password: 'not the password' });
    assert.equal(wrong.body.outcome, 'PEER_UNAUTHORIZED');
    assert.equal(wrong.body.message, '401 Unauthorized — the peer password is wrong; update it in the peer settings');
    const missing = await adminA.post('/api/admin/peers/test', { address: '127.0.0.1', port: portB, fingerprint: b.server.identity.fingerprint });
    assert.equal(missing.body.outcome, 'PEER_UNAUTHORIZED');
  });

  let peerId: number;

  it('tests a saved peer, records its status, and is pinned all the way once confirmed', async () => {
    const created = await adminA.post('/api/admin/peers', { name: 'Server B', address: '127.0.0.1', port: portB, password: PEER_PASSWORD });
    peerId = created.body.id;

    const first = await adminA.post(`/api/admin/peers/${peerId}/test`);
    assert.equal(first.body.outcome, 'OK', JSON.stringify(first.body));
    let peer = (await adminA.get('/api/admin/peers')).body.peers.find((p: { id: number }) => p.id === peerId);
    assert.equal(peer.status, 'unconfirmed');
    assert.ok(peer.lastContactAt);

    await adminA.request('PATCH', `/api/admin/peers/${peerId}`, { fingerprint: first.body.fingerprint });
    const pinned = await adminA.post(`/api/admin/peers/${peerId}/test`, { timeoutSeconds: 10 });
    assert.equal(pinned.body.outcome, 'OK');
    assert.match(pinned.body.hint, /pinned certificate/);
    peer = (await adminA.get('/api/admin/peers')).body.peers.find((p: { id: number }) => p.id === peerId);
    assert.equal(peer.status, 'online');
    assert.equal(peer.statusMessage, null);
    assert.equal(peer.remoteServerName, 'server-b');
  });

  it('uses the stored password when testing an edit form of that peer, but only towards its pinned certificate', async () => {
    const sameCert = await adminA.post('/api/admin/peers/test', { peerId, address: '127.0.0.1', port: portB });
    assert.equal(sameCert.body.outcome, 'OK', JSON.stringify(sameCert.body));
    const unpinnedForm = await adminA.post('/api/admin/peers/test', { peerId, address: '127.0.0.1', port: portB, fingerprint: null });
    assert.equal(unpinnedForm.body.outcome, 'PEER_UNAUTHORIZED');
  });

  it('hands the sync engine a pinned client that opens its session by itself', async () => {
    const client = a.server.services.peers.clientFor(peerId);
    try {
      const hello = await client.hello();
      assert.equal(hello.serverName, 'server-b');
      assert.equal(hello.fingerprint, b.server.identity.fingerprint);
      await client.ensureSession();
      assert.deepEqual(await client.listShares(), []);
      assert.equal(await client.getManifest('alice', 'backup'), null);

      // every route against the real receiving side (the bytes need not be real ciphertext: the peer only checks hashes)
      const manifest = randomBytes(200);
      // sealed as it is sent: no length announced, the hash as a trailer
      const written = await client.putManifest('alice', 'backup', () => Readable.from([manifest.subarray(0, 50), manifest.subarray(50)]));
      assert.equal(written.bytes, manifest.length);
      assert.deepEqual(await client.getManifest('alice', 'backup'), manifest);
      const big = randomBytes(3 * 1024 * 1024 + 5);
      const sent = await client.putFile('alice', 'backup', 'photos/cat.jpg.enc', Readable.from([big]), big.length);
      assert.equal(sent.ctSha256, sha256(big));
      assert.deepEqual(await readAll(await client.getFile('alice', 'backup', 'photos/cat.jpg.enc')), big);
      const small = [randomBytes(10), randomBytes(0), randomBytes(1000)];
      const stored = await client.putBatch(
        'alice',
        'backup',
        small.map((body, i) => ({ path: `notes/${i}.txt.enc`, ctSha256: sha256(body), body })),
      );
      assert.equal(stored, 3);
      const files = (await client.listFiles('alice', 'backup')).map((file) => `${file.path}:${file.size}`).sort();
      assert.deepEqual(files, ['notes/0.txt.enc:10', 'notes/1.txt.enc:0', 'notes/2.txt.enc:1000', `photos/cat.jpg.enc:${big.length}`]);
      const shares = await client.listShares();
      assert.equal(shares.length, 1);
      assert.equal(shares[0]?.hasManifest, true);
      assert.equal(await client.deleteFiles('alice', 'backup', ['notes/0.txt.enc', 'notes/1.txt.enc']), 2);
      assert.equal((await client.listFiles('alice', 'backup')).length, 2);
      await assert.rejects(client.getFile('alice', 'backup', 'notes/0.txt.enc'), (error: any) => error.code === 'PEER_NOT_FOUND');
      await assert.rejects(
        client.putManifestDelta('alice', 'backup', 2, Buffer.from('abc'), sha256(Buffer.from('abd'))),
        (error: any) => error.code === 'HASH_MISMATCH',
      );
    } finally {
      await client.close();
    }
  });

  it('certificate changed when the peer presents another certificate than the pinned one', async () => {
    const wrongPin = await adminA.post('/api/admin/peers/test', {
      address: '127.0.0.1',
      port: portB,
      password: PEER_PASSWORD,
      fingerprint: ANOTHER_FINGERPRINT,
    });
    assert.equal(wrongPin.body.outcome, 'PEER_CERTIFICATE_CHANGED');
    assert.match(wrongPin.body.message, /^Certificate changed — .*impostor/);
    assert.equal(wrongPin.body.fingerprint, b.server.identity.fingerprint, 'reports the certificate actually seen');

    await adminA.request('PATCH', `/api/admin/peers/${peerId}`, { fingerprint: ANOTHER_FINGERPRINT });
    const saved = await adminA.post(`/api/admin/peers/${peerId}/test`);
    assert.equal(saved.body.outcome, 'PEER_CERTIFICATE_CHANGED');
    const peer = (await adminA.get('/api/admin/peers')).body.peers.find((p: { id: number }) => p.id === peerId);
    assert.equal(peer.status, 'certificate-changed');
    assert.match(peer.statusMessage, /Certificate changed/);
  });
});

describe('Test Connection when the peer cannot be reached or is not who it should be', () => {
  let a: TestServer;
  let adminA: ApiClient;

  before(async () => {
    a = await startTestServer();
    ({ admin: adminA } = await setUpServer(a));
  });
  after(() => a.stop());

  it('connection refused on a closed port', async () => {
    const port = await closedPort();
    const result = await adminA.post('/api/admin/peers/test', { address: '127.0.0.1', port, password: 'x' });
    assert.equal(result.body.ok, false);
    assert.equal(result.body.outcome, 'PEER_CONNECTION_REFUSED');
    assert.equal(result.body.message, `Connection refused — check the peer is reachable, its port (${port}) and firewall`);
    assert.equal(result.body.fingerprint, undefined);
  });

  it('name not found for a name that does not resolve', async () => {
    const result = await adminA.post('/api/admin/peers/test', { address: 'nonexistent.invalid', port: 8443 });
    assert.equal(result.body.outcome, 'PEER_NAME_NOT_FOUND', JSON.stringify(result.body));
    assert.match(result.body.message, /^Name not found — "nonexistent\.invalid"/);
  });

  it('timed out when something accepts the connection and never answers', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const result = await adminA.post('/api/admin/peers/test', {
        address: '127.0.0.1',
        port: (silent.address() as net.AddressInfo).port,
        timeoutSeconds: 1,
      });
      assert.equal(result.body.outcome, 'PEER_TIMEOUT', JSON.stringify(result.body));
      assert.match(result.body.message, /^Timed out/);
      assert.ok(Date.now() - started < 5000, 'gave up after about the timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a TLS server with another certificate gets no byte of HTTP — so no password — when the peer is pinned', async () => {
    const impostor = await startImpostor();
    try {
      const pinnedElsewhere = ANOTHER_FINGERPRINT;
      const result = await adminA.post('/api/admin/peers/test', {
        address: '127.0.0.1',
        port: impostor.port,
        password: 'the secret an impostor wants',
        fingerprint: pinnedElsewhere,
      });
      assert.equal(result.body.outcome, 'PEER_CERTIFICATE_CHANGED');
      assert.equal(result.body.fingerprint, impostor.identity.fingerprint);

      // the saved-peer path and the sync engine's client refuse it the same way
      const created = await adminA.post('/api/admin/peers', {
        name: 'impostor',
        address: '127.0.0.1',
        port: impostor.port,
        password: 'the secret an impostor wants',
        fingerprint: pinnedElsewhere,
      });
      assert.equal((await adminA.post(`/api/admin/peers/${created.body.id}/test`)).body.outcome, 'PEER_CERTIFICATE_CHANGED');
      const client = a.server.services.peers.clientFor(created.body.id);
      try {
        await assert.rejects(client.listShares(), (error: any) => error.code === 'PEER_CERTIFICATE_CHANGED' && error.seenFingerprint === impostor.identity.fingerprint);
      } finally {
        await client.close();
      }

      await delay(100);
      assert.equal(impostor.bytesReceived(), 0, 'the impostor received application data');

      // control: pinned to the impostor's own certificate, the request does reach it (so the recorder works)
      const control = await adminA.post('/api/admin/peers/test', {
        address: '127.0.0.1',
        port: impostor.port,
        fingerprint: impostor.identity.fingerprint,
        timeoutSeconds: 1,
      });
      assert.equal(control.body.outcome, 'PEER_TIMEOUT');
      assert.ok(impostor.handshakes() > 0);
      assert.ok(impostor.bytesReceived() > 0);
    } finally {
      await impostor.close();
    }
  });
});
