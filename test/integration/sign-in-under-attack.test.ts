import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSourceIdentity, PeerTlsClient } from '../helpers/peer-tls-client.js';
import { within } from '../helpers/raw-tls.js';
import { ADMIN, type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A hash costs about a second on a quiet machine and several on a busy one,
 * so times are judged against one sign-in measured just before (`single`):
 * queued behind the flood, the real sign-in would take dozens of them.
 */
const QUEUED_AHEAD_AT_MOST = 4;

/** Seconds a call took, with its result. */
async function timed<T>(work: Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = Date.now();
  const result = await work;
  return { result, seconds: (Date.now() - started) / 1000 };
}

describe('sign-in under attack (production scrypt cost, N = 2^15, p = 4)', () => {
  let test: TestServer;
  let admin: ApiClient;

  before(async () => {
    test = await startTestServer({ passwordCost: 'production' });
    ({ admin } = await setUpServer(test));
  });
  after(() => test.stop());

  it('answers a real sign-in from another address within seconds during a flood of 60 made-up ones, and refuses the flood with 429', async () => {
    const { seconds: single } = await timed(test.client().from('127.0.0.9', test.server.identity.certPem).post('/api/auth/login', { username: ADMIN.username, password: ADMIN.password }));
    const attacker = test.client();
    const flood = Array.from({ length: 60 }, (_, i) => attacker.post('/api/auth/login', { username: `nobody${i}`, password: 'guess' }));
    // the server listens on 127.0.0.1; this client connects from 127.0.0.2
    const family = test.client().from('127.0.0.2', test.server.identity.certPem);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { result: signIn, seconds } = await timed(family.post('/api/auth/login', { username: ADMIN.username, password: ADMIN.password }));
    const statuses = (await Promise.all(flood)).map((response) => response.status);

    assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
    assert.ok(seconds < Math.max(5, single * QUEUED_AHEAD_AT_MOST), `the real sign-in took ${seconds} s (alone: ${single} s)`);
    const refused = statuses.filter((status) => status === 429).length;
    assert.ok(refused >= 40, `only ${refused} of 60 made-up sign-ins were refused with 429`);
    assert.deepEqual(new Set(statuses), new Set([401, 429]));
  });

  it("checks a peer's server password without waiting behind web sign-ins", async () => {
    const settings = await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: 'server password 1' });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const source = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity: await makeSourceIdentity() });
    const { seconds: single } = await timed(source.openSession('source-a', 'server password 1'));
    // a flood from an address of its own, so the limits of the first test do not answer it at once
    const attackers = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map((address) => test.client().from(address, test.server.identity.certPem));
    const flood = attackers.flatMap((attacker) =>
      Array.from({ length: 3 }, (_, i) => attacker.post('/api/auth/login', { username: `someone${i}`, password: 'guess' })),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { result: session, seconds } = await timed(source.openSession('source-a', 'server password 1'));
    await Promise.all(flood);
    assert.equal(session.status, 200, JSON.stringify(session.body));
    // eight web hashes were queued ahead: behind them it would take nine times as long
    assert.ok(seconds < Math.max(4, single * QUEUED_AHEAD_AT_MOST), `the peer's session took ${seconds} s (alone: ${single} s)`);
  });
});

describe('sign-in while the file system blocks every libuv thread', () => {
  let test: TestServer;
  let fifoDir: string;

  before(async () => {
    test = await startTestServer({ passwordCost: 'production' });
    await setUpServer(test);
    fifoDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-fifo-'));
  });
  after(async () => {
    await test.stop();
    await rm(fifoDir, { recursive: true, force: true });
  });

  it('answers a sign-in while four opens of FIFOs hold all four threads of the pool', async () => {
    const fifos = [0, 1, 2, 3].map((i) => path.join(fifoDir, `fifo-${i}`));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    // an open for reading blocks until a writer comes: each holds one thread of libuv's pool (the servers run in this process)
    const blockedOpens = fifos.map((fifo) => open(fifo, 'r'));
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      // on the pool, the hash would wait for ever: judged after 60 s, so the FIFOs are released whatever happens
      const signIn = await within(test.client().post('/api/auth/login', { username: ADMIN.username, password: ADMIN.password }), 60_000, 'no answer');
      assert.notEqual(signIn, 'no answer');
      assert.equal(typeof signIn === 'string' ? 0 : signIn.status, 200);
    } finally {
      // a writer for each FIFO frees its thread (the readers are waiting, so a non-blocking open succeeds)
      for (const fifo of fifos) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      for (const handle of await Promise.all(blockedOpens)) await handle.close();
    }
  });
});
