import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import { LOGIN_ATTEMPTS_PER_MINUTE } from '../../src/api/routes/auth.js';
import { loadOrCreateIdentity, type ServerIdentity } from '../../src/identity/identity.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, storedFiles, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { ApiClient, startTestServer, type TestServer } from '../helpers/test-server.js';
import { freePort } from '../helpers/child-server.js';
import { REPO_ROOT } from '../helpers/cli.js';

const PASSWORD_OF_B = 'the password of server b';

/** A certificate from "another CA" for the UI (a self-signed pair, as Let's Encrypt's would be for this test). */
async function makeUiCertificate(scratch: string, name: string): Promise<ServerIdentity> {
  return loadOrCreateIdentity({ certsDir: path.join(scratch, name) });
}

/** The SHA-256 fingerprint of the certificate a TLS port presents. */
async function presentedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256;
      socket.end();
      if (fingerprint) resolve(fingerprint);
      else reject(new Error('no certificate presented'));
    });
    socket.once('error', reject);
  });
}

/** Puts a new pair at the UI's paths as a renewal does: each file replaced whole, by rename. */
async function renewInPlace(renewed: ServerIdentity, from: string, certPath: string, keyPath: string): Promise<void> {
  await copyFile(path.join(from, 'server.key'), `${keyPath}.new`);
  await copyFile(path.join(from, 'server.crt'), `${certPath}.new`);
  await rename(`${keyPath}.new`, keyPath);
  await rename(`${certPath}.new`, certPath);
  assert.equal(new X509Certificate(await readFile(certPath, 'utf8')).fingerprint256, renewed.fingerprint);
}

describe('peers on a port of their own (ANEMONE_PEER_PORT), the UI with its own certificate', () => {
  let scratch: string;
  let a: ClusterServer;
  let b: ClusterServer;
  let uiCertPath: string;
  let uiKeyPath: string;
  let firstUiCertificate: ServerIdentity;
  let alice: Awaited<ReturnType<typeof createUser>>;
  let pinnedFingerprint: string;

  before(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'anemone-peer-listener-'));
    firstUiCertificate = await makeUiCertificate(scratch, 'ui-1');
    uiCertPath = path.join(scratch, 'ui.crt');
    uiKeyPath = path.join(scratch, 'ui.key');
    await copyFile(path.join(scratch, 'ui-1', 'server.crt'), uiCertPath);
    await copyFile(path.join(scratch, 'ui-1', 'server.key'), uiKeyPath);
    b = await startNamedServer('server-b', { acceptPassword: PASSWORD_OF_B, config: { peerPort: 0, tlsCertPath: uiCertPath, tlsKeyPath: uiKeyPath } });
    a = await startNamedServer('server-a');
    alice = await createUser(a, 'alice');
    const peerId = await pairPeer(a, b, PASSWORD_OF_B);
    pinnedFingerprint = (await a.admin.get('/api/admin/peers')).body.peers.find((peer: { id: number }) => peer.id === peerId).fingerprint;
  });

  after(async () => {
    await a?.test.stop();
    await b?.test.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it("presents the server's own certificate to peers and the administrator's on the UI port", async () => {
    assert.notEqual(b.test.peerUrl, b.test.url);
    assert.equal(await presentedFingerprint(b.test.peerUrl), b.test.server.identity.fingerprint);
    assert.equal(await presentedFingerprint(b.test.url), firstUiCertificate.fingerprint);
    assert.notEqual(firstUiCertificate.fingerprint, b.test.server.identity.fingerprint);
    assert.equal(pinnedFingerprint, b.test.server.identity.fingerprint, 'Test Connection through the peer port reports the identity');
  });

  it('tells the administrator which port and fingerprint peers use', async () => {
    const server = await b.admin.get('/api/admin/server');
    assert.equal(server.status, 200);
    assert.equal(server.body.peerPort, b.port);
    assert.equal(server.body.fingerprint, b.test.server.identity.fingerprint);
    const settings = await b.admin.get('/api/admin/settings/sync');
    assert.equal(settings.body.peerPort, b.port);
    assert.equal(settings.body.fingerprint, b.test.server.identity.fingerprint);
  });

  it('serves the peer protocol on the peer port only, and the UI on the UI port only', async () => {
    const peerPort = new ApiClient(b.test.peerUrl, new Agent({ connect: { ca: b.test.server.identity.certPem } }));
    const hello = await peerPort.get('/api/sync/v1/hello');
    assert.equal(hello.status, 200);
    assert.equal(hello.body.serverName, 'server-b');
    assert.equal((await peerPort.get('/health')).body, 'OK');
    assert.equal((await peerPort.get('/api/admin/server')).status, 404);
    assert.equal((await peerPort.get('/')).status, 404, 'no web UI on the peer port');

    const ui = b.test.client();
    const onUi = await ui.get('/api/sync/v1/hello');
    assert.equal(onUi.status, 404);
    assert.equal(onUi.body.error.code, 'NOT_FOUND');
    assert.equal((await ui.post('/api/sync/v1/sessions', { sourceServer: 'server-a' })).status, 404);
    assert.equal((await ui.get('/health')).body, 'OK');
    assert.equal((await ui.get('/api/auth/me')).status, 401, 'the UI API answers on the UI port');
  });

  it('syncs through the peer port, and keeps syncing after the UI certificate is renewed, without re-confirming', async () => {
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'notes.txt': 'before the renewal' });
    const first = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.deepEqual(first.map((log) => log.status), ['success']);

    const renewed = await makeUiCertificate(scratch, 'ui-2');
    await renewInPlace(renewed, path.join(scratch, 'ui-2'), uiCertPath, uiKeyPath);
    const outcome = await b.test.server.reloadUiCertificate();
    assert.match(outcome, /reloaded/);
    assert.equal(await presentedFingerprint(b.test.url), renewed.fingerprint, 'the UI port presents the renewed certificate');
    assert.equal(await presentedFingerprint(b.test.peerUrl), pinnedFingerprint, 'the peer port still presents the pinned identity');

    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'after.txt': 'after the renewal' });
    const second = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.deepEqual(second.map((log) => log.status), ['success']);
    assert.equal(second[0]?.fileCount, 1);
    const stored = await storedFiles(path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup'));
    assert.ok(stored.has('after.txt.enc') && stored.has('notes.txt.enc'), [...stored.keys()].join(', '));
    const peers = (await a.admin.get('/api/admin/peers')).body.peers as { fingerprint: string }[];
    assert.deepEqual(peers.map((peer) => peer.fingerprint), [pinnedFingerprint], 'nothing to re-confirm');
  });

  it('keeps the previous UI certificate when the renewed files do not match', async () => {
    const before = await presentedFingerprint(b.test.url);
    const other = await makeUiCertificate(scratch, 'ui-3');
    await copyFile(path.join(scratch, 'ui-3', 'server.crt'), uiCertPath);
    await assert.rejects(b.test.server.reloadUiCertificate(), /not the private key/);
    assert.notEqual(before, other.fingerprint);
    assert.equal(await presentedFingerprint(b.test.url), before);
  });
});

describe('the UI in plain HTTP on 127.0.0.1 behind a reverse proxy (ANEMONE_UI_TLS=off, ANEMONE_TRUST_PROXY)', () => {
  const PROXY = '127.0.0.2';
  const STRANGER = '127.0.0.3';
  let server: TestServer;
  let admin: ApiClient;

  /** A client connecting from `localAddress` (Linux accepts all of 127/8), sending `headers` with every request. */
  const from = (localAddress: string) => new ApiClient(server.url, new Agent({ localAddress }));
  const login = (client: ApiClient, password: string, headers: Record<string, string>) =>
    client.request<any>('POST', '/api/auth/login', { username: 'admin', password }, headers);

  before(async () => {
    server = await startTestServer({ config: { peerPort: 0, uiTls: 'off', trustProxy: PROXY } });
    admin = server.client();
    const setup = await admin.post('/api/setup', { serverName: 'behind-proxy', username: 'admin', password: 'correct horse battery' });
    assert.equal(setup.status, 201);
  });

  after(async () => server?.stop());

  it('speaks plain HTTP on the UI port and HTTPS with the identity on the peer port', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await from(PROXY).get('/health')).body, 'OK');
    assert.equal(await presentedFingerprint(server.peerUrl), server.server.identity.fingerprint);
  });

  it("counts sign-in attempts under the forwarded client address when the trusted proxy sends it, and sets a Secure cookie", async () => {
    const proxy = from(PROXY);
    const forwarded = (client: string) => ({ 'x-forwarded-for': client, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'anemone.example' });
    for (let attempt = 0; attempt < LOGIN_ATTEMPTS_PER_MINUTE; attempt++) {
      assert.equal((await login(proxy, 'wrong password', forwarded('203.0.113.7'))).status, 401);
    }
    assert.equal((await login(proxy, 'wrong password', forwarded('203.0.113.7'))).status, 429, 'the guessing client is limited');
    const neighbour = await login(proxy, 'correct horse battery', forwarded('198.51.100.9'));
    assert.equal(neighbour.status, 200, 'another client behind the same proxy is not');
    const cookie = neighbour.headers.get('set-cookie') ?? '';
    assert.match(cookie, /anemone_session=/);
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
  });

  it('ignores X-Forwarded-For from an address it does not trust', async () => {
    const stranger = from(STRANGER);
    for (let attempt = 0; attempt < LOGIN_ATTEMPTS_PER_MINUTE; attempt++) {
      assert.equal((await login(stranger, 'wrong password', { 'x-forwarded-for': `192.0.2.${attempt + 1}` })).status, 401);
    }
    const disguised = await login(stranger, 'wrong password', { 'x-forwarded-for': '192.0.2.200' });
    assert.equal(disguised.status, 429, 'a made-up X-Forwarded-For does not escape the limit');
  });

  it("believes the browser's scheme and host (X-Forwarded-Proto, -Host) from the trusted proxy only", async () => {
    const browserPage = { origin: 'https://anemone.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'anemone.example' };
    const throughProxy = await from(PROXY).request<any>('POST', '/api/auth/logout', undefined, browserPage);
    assert.equal(throughProxy.status, 204, 'a page of the proxied site is this server own page');
    const direct = await from(STRANGER).request<any>('POST', '/api/auth/logout', undefined, browserPage);
    assert.equal(direct.status, 403);
    assert.equal(direct.body.error.code, 'CROSS_SITE_REQUEST');
  });
});

describe('one port with a certificate of your own', () => {
  it('says at start what that means for peers, and does not reload the certificate on request', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'anemone-one-port-'));
    try {
      const own = await makeUiCertificate(scratch, 'own');
      const server = await startTestServer({
        dataDir: path.join(scratch, 'data'),
        keepDataDir: true,
        config: { tlsCertPath: path.join(scratch, 'own', 'server.crt'), tlsKeyPath: path.join(scratch, 'own', 'server.key') },
      });
      assert.equal(server.peerUrl, server.url);
      assert.equal(server.server.identity.fingerprint, own.fingerprint, 'the one certificate is the identity peers pin');
      assert.match(await server.server.reloadUiCertificate(), /not reloaded.*ANEMONE_PEER_PORT/);
      await server.stop();
      const log = await readFile(path.join(scratch, 'data', 'logs', 'anemone.log'), 'utf8');
      assert.match(log, /each renewal changes its fingerprint.*Set ANEMONE_PEER_PORT/);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('anemone serve with a peer port', () => {
  it('prints the port peers connect to, and presents a renewed UI certificate after SIGHUP', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'anemone-sighup-'));
    const [uiPort, peerPort] = [await freePort(), await freePort()];
    const first = await makeUiCertificate(scratch, 'ui-1');
    const certPath = path.join(scratch, 'ui.crt');
    const keyPath = path.join(scratch, 'ui.key');
    await copyFile(path.join(scratch, 'ui-1', 'server.crt'), certPath);
    await copyFile(path.join(scratch, 'ui-1', 'server.key'), keyPath);
    const args = ['serve', '--data-dir', path.join(scratch, 'data'), '--port', String(uiPort), '--bind', '127.0.0.1', '--peer-port', String(peerPort), '--peer-bind', '127.0.0.1', '--tls-cert', certPath, '--tls-key', keyPath, '--log-level', 'warn'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const uiUrl = `https://127.0.0.1:${uiPort}`;
    /** Polls until the UI port presents `expected` (a loaded machine starts slowly). */
    const waitForUiCertificate = async (expected: string) => {
      const deadline = Date.now() + 60_000;
      let seen: string | undefined;
      while (seen !== expected) {
        assert.equal(child.exitCode, null, `anemone serve exited:\n${output}`);
        assert.ok(Date.now() < deadline, `the UI port presents ${seen ?? 'nothing'}, not ${expected}:\n${output}`);
        seen = await presentedFingerprint(uiUrl).catch(() => undefined);
        if (seen !== expected) await delay(100);
      }
    };
    try {
      await waitForUiCertificate(first.fingerprint);
      const identity = new X509Certificate(await readFile(path.join(scratch, 'data', 'certs', 'server.crt'), 'utf8')).fingerprint256;
      assert.equal(await presentedFingerprint(`https://127.0.0.1:${peerPort}`), identity);
      assert.match(output, new RegExp(`Peers connect to port ${peerPort} \\(ANEMONE_PEER_PORT`));

      const renewed = await makeUiCertificate(scratch, 'ui-2');
      await renewInPlace(renewed, path.join(scratch, 'ui-2'), certPath, keyPath);
      child.kill('SIGHUP');
      await waitForUiCertificate(renewed.fingerprint);
      assert.equal(await presentedFingerprint(`https://127.0.0.1:${peerPort}`), identity, 'peers see the same identity');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
