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
 * How long the real call waited is counted in the flood's hashes, not in seconds:
 * a hash's time on a shared machine swings several-fold within a test (a loaded CI
 * saw 15 s against 1.7 s for one sign-in alone), its count does not. Every
 * made-up sign-in answered 401 was hashed (an unknown name is hashed against a
 * dummy); queued behind the flood, the real call would see eight or more answered.
 */
const QUEUED_AHEAD_AT_MOST = 4;

/** Made-up sign-ins sent at once, counting those answered 401 (each one hash done) as they arrive. */
function floodOf(requests: Promise<{ status: number }>[]) {
  let hashed = 0;
  let firstHashed: () => void = () => undefined;
  const hashing = new Promise<void>((resolve) => (firstHashed = resolve));
  const answers = requests.map((request) =>
    request.then((response) => {
      if (response.status === 401) {
        hashed += 1;
        firstHashed();
      }
      return response;
    }),
  );
  return {
    answers,
    /** `call` made while the flood runs: its result, and how many of the flood's hashes were answered before its own answer came. */
    async during<T>(call: () => Promise<T>): Promise<{ result: T; hashedMeanwhile: number }> {
      // once the flood's first hash is answered its other ones are queued, whatever the load (its TLS handshakes
      // can take seconds); a call made earlier could be hashed before them and prove nothing
      await Promise.race([hashing, Promise.all(answers)]);
      const before = hashed;
      const result = await call();
      return { result, hashedMeanwhile: hashed - before };
    },
  };
}

describe('sign-in under attack (production scrypt cost, N = 2^15, p = 4)', () => {
  let test: TestServer;
  let admin: ApiClient;

  before(async () => {
    test = await startTestServer({ passwordCost: 'production' });
    ({ admin } = await setUpServer(test));
  });
  after(() => test.stop());

  it('answers a real sign-in from another address within seconds during a flood of 60 made-up ones, and refuses the flood with 429', async (t) => {
    const attacker = test.client();
    const flood = floodOf(Array.from({ length: 60 }, (_, i) => attacker.post('/api/auth/login', { username: `nobody${i}`, password: 'guess' })));
    // the server listens on 127.0.0.1; this client connects from 127.0.0.2
    const family = test.client().from('127.0.0.2', test.server.identity.certPem);
    const { result: signIn, hashedMeanwhile } = await flood.during(() => family.post('/api/auth/login', { username: ADMIN.username, password: ADMIN.password }));
    const statuses = (await Promise.all(flood.answers)).map((response) => response.status);

    assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
    t.diagnostic(`the flood's hashes answered while the real sign-in waited: ${hashedMeanwhile}`);
    assert.ok(hashedMeanwhile < QUEUED_AHEAD_AT_MOST, `the real sign-in waited for ${hashedMeanwhile} of the flood's hashes`);
    const refused = statuses.filter((status) => status === 429).length;
    assert.ok(refused >= 40, `only ${refused} of 60 made-up sign-ins were refused with 429`);
    assert.deepEqual(new Set(statuses), new Set([401, 429]));
  });

  it("checks a peer's server password without waiting behind web sign-ins", async (t) => {
    const settings = await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: 'server password 1' });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const source = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity: await makeSourceIdentity() });
    // a flood from an address of its own, so the limits of the first test do not answer it at once
    const attackers = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map((address) => test.client().from(address, test.server.identity.certPem));
    const flood = floodOf(attackers.flatMap((attacker) => Array.from({ length: 3 }, (_, i) => attacker.post('/api/auth/login', { username: `someone${i}`, password: 'guess' }))));
    const { result: session, hashedMeanwhile } = await flood.during(() => source.openSession('source-a', 'server password 1'));
    await Promise.all(flood.answers);
    assert.equal(session.status, 200, JSON.stringify(session.body));
    t.diagnostic(`web sign-ins' hashes answered while the peer's session waited: ${hashedMeanwhile}`);
    // eight web hashes were queued ahead: behind them it would see all eight answered
    assert.ok(hashedMeanwhile < QUEUED_AHEAD_AT_MOST, `the peer's session waited for ${hashedMeanwhile} of the web sign-ins' hashes`);
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
