import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { AnemoneError } from '../../src/errors/catalogue.js';
import { PeerClient } from '../../src/peer-client/peer-client.js';
import { PeerError } from '../../src/peer-client/peer-error.js';
import { throwawayIdentity } from '../../src/recovery/kit-fetch.js';
import { openRecoveryKit } from '../../src/recovery/restore-server.js';
import { downloadKit, pushKit } from '../helpers/recovery-kit.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer } from '../helpers/sync-cluster.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const PASSPHRASE = 'otter lantern gravel moss';
const rejectsWith = (code: string) => (error: unknown) => (error instanceof AnemoneError || error instanceof PeerError) && error.code === code;

describe('the server recovery kit', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: Awaited<ReturnType<typeof createUser>>;
  let copyOnB: string;
  const fresh: TestServer[] = [];

  before(async () => {
    [a, b] = await Promise.all([
      startNamedServer('server-a', { acceptPassword: 'password of a' }),
      startNamedServer('server-b', { acceptPassword: 'password of b' }),
    ]);
    alice = await createUser(a, 'alice');
    await pairPeer(a, b, 'password of b');
    copyOnB = path.join(b.test.dataDir, 'incoming', 'server-a', '_recovery-kit.bin');
  });
  after(async () => {
    await Promise.all([a?.test, b?.test, ...fresh].map((server) => server?.stop()));
  });

  const download = (passphrase: string) =>
    downloadKit({ url: a.test.url, certPem: a.test.server.identity.certPem }, { username: 'admin', password: 'server-a admin password' }, passphrase);

  it('is for administrators, with a passphrase of at least 12 characters', async () => {
    assert.equal((await alice.client.post('/api/admin/recovery-kit', { passphrase: PASSPHRASE })).status, 403);
    const short = await a.admin.post('/api/admin/recovery-kit', { passphrase: 'too short' });
    assert.equal(short.status, 400);
    assert.equal(short.body.error.code, 'VALIDATION_FAILED');
    assert.equal((await a.admin.get('/api/admin/recovery-kit')).body.configured, false);
    const push = await a.admin.post('/api/admin/recovery-kit/push');
    assert.equal(push.status, 409);
    assert.equal(push.body.error.code, 'KIT_NOT_CONFIGURED');
  });

  it('downloads as a file that is useless without its passphrase', async () => {
    const kit = await download(PASSPHRASE);
    assert.equal(kit.status, 200, kit.bytes.toString());
    assert.equal(kit.headers.get('content-type'), 'application/octet-stream');
    assert.equal(kit.headers.get('content-disposition'), 'attachment; filename="anemone-server-a-recovery-kit.bin"');
    assert.equal(kit.headers.get('cache-control'), 'no-store');

    // no secret of the server is in the file, in any of the forms it has on disk
    const masterKeyText = (await readFile(path.join(a.test.dataDir, 'secrets', 'master.key'), 'utf8')).trim();
    const keyPem = a.test.server.identity.keyPem;
    const aliceRow = a.test.server.repos.users.findByUsername('alice');
    const secrets = [
      Buffer.from(masterKeyText, 'base64'),
      Buffer.from(masterKeyText),
      Buffer.from(keyPem.split('\n')[1] as string),
      createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' }),
      Buffer.from(aliceRow?.wrappedKey as string),
      Buffer.from(aliceRow?.passwordHash as string),
      Buffer.from('alice'),
    ];
    for (const secret of secrets) assert.equal(kit.bytes.indexOf(secret), -1, `the kit does not hold ${secret.subarray(0, 12).toString('hex')}…`);

    await assert.rejects(openRecoveryKit(kit.bytes, 'otter lantern gravel mess'), rejectsWith('KIT_PASSPHRASE_WRONG'));
    const opened = await openRecoveryKit(kit.bytes, PASSPHRASE);
    assert.equal(opened.document.serverName, 'server-a');
    assert.equal(opened.document.masterKey, masterKeyText);
    assert.equal(opened.document.identity.certPem, a.test.server.identity.certPem);
    assert.deepEqual(opened.document.users.map((user) => user.username).sort(), ['admin', 'alice']);
    assert.deepEqual(opened.document.peers.map((peer) => [peer.name, peer.fingerprint]), [['server-b', b.test.server.identity.fingerprint]]);
    assert.equal((await a.admin.get('/api/admin/recovery-kit')).body.configured, true);
  });

  it('keeps a sealed copy on each pinned peer, refreshed after a change', async () => {
    const status = await pushKit(a.admin);
    assert.deepEqual(status.peers.map((peer) => [peer.peerName, peer.ok]), [['server-b', true]]);
    const copy = await readFile(copyOnB);
    const masterKey = Buffer.from((await readFile(path.join(a.test.dataDir, 'secrets', 'master.key'), 'utf8')).trim(), 'base64');
    assert.equal(copy.indexOf(masterKey), -1, 'the peer cannot read the kit');
    assert.deepEqual((await openRecoveryKit(copy, PASSPHRASE)).document.users.map((user) => user.username).sort(), ['admin', 'alice']);

    // a new user changes what the kit holds: the copy follows shortly, with no passphrase asked again
    await createUser(a, 'bob');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const users = (await openRecoveryKit(await readFile(copyOnB), PASSPHRASE)).document.users.map((user) => user.username);
      if (users.includes('bob')) break;
      assert.ok(Date.now() < deadline, `the copy on the peer still lists ${users.join(', ')}`);
      await delay(250);
    }
  });

  it('is handed back against the peer password only, over a pinned connection', async () => {
    const client = new PeerClient({ address: '127.0.0.1', port: b.port, identity: await throwawayIdentity(), pinnedFingerprint: b.test.server.identity.fingerprint, timeoutMs: 10_000 });
    try {
      const fetched = await client.fetchRecoveryKit('server-a', 'password of b');
      assert.ok(fetched?.equals(await readFile(copyOnB)));
      assert.equal(await client.fetchRecoveryKit('server-x', 'password of b'), null, 'no kit under another name');
      await assert.rejects(client.fetchRecoveryKit('server-a', 'not the password'), rejectsWith('PEER_UNAUTHORIZED'));
    } finally {
      await client.close();
    }
  });

  it('rebuilds a fresh server from the copy on a peer through the first-run API', async () => {
    const c = await startTestServer({ keepDataDir: true });
    fresh.push(c);
    const client = c.client();
    const found = await client.post('/api/setup/restore/discover', { address: '127.0.0.1', port: b.port });
    assert.deepEqual(found.body, { serverName: 'server-b', fingerprint: b.test.server.identity.fingerprint });
    const peer = { address: '127.0.0.1', port: b.port, password: 'password of b', fingerprint: found.body.fingerprint };

    const wrongPassphrase = await client.post('/api/setup/restore', { passphrase: 'not the passphrase', serverName: 'server-a', peer });
    assert.equal(wrongPassphrase.status, 400);
    assert.equal(wrongPassphrase.body.error.code, 'KIT_PASSPHRASE_WRONG');
    const wrongPassword = await client.post('/api/setup/restore', { passphrase: PASSPHRASE, serverName: 'server-a', peer: { ...peer, password: 'wrong' } });
    assert.equal(wrongPassword.body.error.code, 'PEER_UNAUTHORIZED');
    const notAKit = await client.post('/api/setup/restore', { passphrase: PASSPHRASE, kit: Buffer.from('not a kit at all, just text').toString('base64') });
    assert.equal(notAKit.body.error.code, 'KIT_INVALID');
    assert.equal((await client.get('/api/setup')).body.setUp, false, 'nothing changed');

    const restored = await client.post('/api/setup/restore', { passphrase: PASSPHRASE, serverName: 'server-a', peer });
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.equal(restored.body.serverName, 'server-a');
    assert.equal(restored.body.fingerprint, a.test.server.identity.fingerprint);
    assert.equal(restored.body.restartRequired, true);
    assert.deepEqual(restored.body.users.sort(), ['admin', 'alice', 'bob']);
    assert.equal((await client.post('/api/setup/restore', { passphrase: PASSPHRASE, serverName: 'server-a', peer })).status, 409);

    // restarted, it is server-a again: same certificate, same accounts, and its peer accepts it as it is
    fresh.splice(fresh.indexOf(c), 1);
    await c.stop();
    const rebuilt = await startTestServer({ dataDir: c.dataDir });
    fresh.push(rebuilt);
    assert.equal(rebuilt.server.identity.fingerprint, a.test.server.identity.fingerprint);
    const admin = rebuilt.client();
    assert.equal((await admin.post('/api/auth/login', { username: 'admin', password: 'server-a admin password' })).status, 200);
    assert.equal((await rebuilt.client().post('/api/auth/login', { username: 'alice', password: 'alice password' })).status, 200);
    const peers = (await admin.get('/api/admin/peers')).body.peers;
    assert.equal(peers.length, 1);
    const tested = await admin.post(`/api/admin/peers/${peers[0].id}/test`);
    assert.equal(tested.body.outcome, 'OK', JSON.stringify(tested.body));
    assert.equal((await admin.get('/api/admin/recovery-kit')).body.configured, true, 'it goes on keeping its kit on the peer');
  });

  it('refuses kit fetches while the peer does not accept syncs, and limits wrong passwords', async () => {
    // a peer of its own: no other server's sessions reset or add to its failure count meanwhile
    const d = await startNamedServer('server-d', { acceptPassword: 'password of d' });
    fresh.push(d.test);
    const client = new PeerClient({ address: '127.0.0.1', port: d.port, identity: await throwawayIdentity(), pinnedFingerprint: d.test.server.identity.fingerprint, timeoutMs: 10_000 });
    try {
      assert.equal(await client.fetchRecoveryKit('server-a', 'password of d'), null, 'it keeps no kit of server-a');
      await d.admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: false });
      await assert.rejects(client.fetchRecoveryKit('server-a', 'password of d'), rejectsWith('PEER_FORBIDDEN'));
      await d.admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true });
      for (let attempt = 0; attempt < 5; attempt++) await assert.rejects(client.fetchRecoveryKit('server-a', `guess ${attempt}`), rejectsWith('PEER_UNAUTHORIZED'));
      await assert.rejects(client.fetchRecoveryKit('server-a', 'password of d'), rejectsWith('PEER_RATE_LIMITED'));
    } finally {
      await client.close();
    }
  });
});
