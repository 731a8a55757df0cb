import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routePath } from '../../src/protocol/v1/index.js';
import { connectRawTls, within } from '../helpers/raw-tls.js';
import { setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

/** Short bounds so the tests stay fast; production's are in src/api/connection-bounds.ts. */
const BOUNDS = { handshakeTimeoutMs: 1000, headersTimeoutMs: 1000, keepAliveTimeoutMs: 500, webBodyTimeoutMs: 1000, checkIntervalMs: 200 };

describe('what a client may send, and for how long', () => {
  let test: TestServer;
  const raw = () => connectRawTls(test.url, { ca: test.server.identity.certPem });
  const host = () => new URL(test.url).host;

  before(async () => {
    test = await startTestServer({ serverOptions: { connectionBounds: BOUNDS } });
    await setUpServer(test);
  });
  after(() => test.stop());

  it('refuses a recovery kit to /api/setup/restore once set up, before reading it: 409 while the body is still coming, then closes', async () => {
    const connection = await raw();
    const size = 24 * 1024 * 1024;
    connection.socket.write(`POST /api/setup/restore HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
    connection.socket.write(`{"passphrase":"x","kit":"${'A'.repeat(64 * 1024)}`);
    // the rest of the 24 MiB is never sent: a server that reads before checking would wait for it
    const answer = await within(connection.waitFor(/\r\n\r\n.*\}$/s), 5000, 'no answer');
    assert.match(answer, /^HTTP\/1\.1 409/);
    assert.match(answer, /ALREADY_SET_UP/);
    assert.match(answer, /connection: close/i);
    assert.notEqual(await within(connection.closed, 3000, 'still open'), 'still open');
  });

  it('takes small JSON bodies only on small routes: a 20 KiB sign-in is 413', async () => {
    const response = await test.client().post('/api/auth/login', { username: 'admin', password: 'x'.repeat(20 * 1024) });
    assert.equal(response.status, 413);
    assert.equal(response.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('closes a connection whose headers never finish', async () => {
    const connection = await raw();
    connection.socket.write(`GET /health HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: `);
    const closedAfter = await within(connection.closed, 5000, 'still open');
    assert.notEqual(closedAfter, 'still open');
  });

  it('closes a connection that never sends a request', async () => {
    const connection = await raw();
    assert.notEqual(await within(connection.closed, 5000, 'still open'), 'still open');
  });

  it('closes a keep-alive connection left idle after its answer', async () => {
    const connection = await raw();
    connection.socket.write(`GET /health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    await connection.waitFor(/\r\n\r\nOK$/);
    assert.notEqual(await within(connection.closed, 3000, 'still open'), 'still open');
  });

  it('cuts a web request whose body trickles in', async () => {
    const connection = await raw();
    connection.socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`);
    // a byte every 100 ms: never idle long, never done
    const trickle = setInterval(() => connection.socket.writable && connection.socket.write(' '), 100);
    try {
      assert.notEqual(await within(connection.closed, 5000, 'still open'), 'still open');
    } finally {
      clearInterval(trickle);
    }
  });

  it('lets a peer-protocol body take longer than a web body may', async () => {
    const connection = await raw();
    const body = JSON.stringify({ sourceServer: 'source-a' });
    connection.socket.write(`POST ${routePath('openSession')} HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    for (const char of body.slice(0, -1)) {
      connection.socket.write(char);
      await new Promise((resolve) => setTimeout(resolve, 1500 / body.length));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    connection.socket.write(body.slice(-1));
    // the protocol's own answer (no client certificate), not a cut connection
    const answer = await connection.waitFor(/\r\n\r\n.*\}$/s);
    assert.match(answer, /^HTTP\/1\.1 403/);
    assert.match(answer, /CLIENT_CERT_REQUIRED/);
    connection.socket.destroy();
  });

  it('closes the connection after refusing an upload instead of reading the rest', async () => {
    const connection = await raw();
    const size = 100 * 1024 * 1024;
    connection.socket.write(
      `PUT ${routePath('putFile', { user: 'alice', share: 'backup' })}?path=a.enc HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\nx-anemone-ct-sha256: ${'0'.repeat(64)}\r\n\r\n`,
    );
    connection.socket.write(Buffer.alloc(64 * 1024));
    const answer = await within(connection.waitFor(/\r\n\r\n.*\}$/s), 5000, 'no answer');
    assert.match(answer, /^HTTP\/1\.1 403/);
    assert.match(answer, /connection: close/i);
    assert.notEqual(await within(connection.closed, 3000, 'still open'), 'still open');
  });
});

describe('recovery kits sent before setup', () => {
  let test: TestServer;

  before(async () => {
    test = await startTestServer();
  });
  after(() => test.stop());

  it('reads two at a time: a third is refused at once with 429, and taken once one is done', async () => {
    const host = new URL(test.url).host;
    const head = `POST /api/setup/restore HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n{"passphrase":"x","kit":"`;
    const slow = await Promise.all([0, 1].map(() => connectRawTls(test.url, { ca: test.server.identity.certPem })));
    for (const connection of slow) connection.socket.write(head);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const third = await connectRawTls(test.url, { ca: test.server.identity.certPem });
    third.socket.write(head);
    const answer = await within(third.waitFor(/\r\n\r\n.*\}$/s), 5000, 'no answer');
    assert.match(answer, /^HTTP\/1\.1 429/);
    assert.match(answer, /recovery kits are being read/);

    for (const connection of slow) connection.socket.destroy();
    await Promise.all(slow.map((connection) => connection.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await test.client().post('/api/setup/restore', { passphrase: 'x', kit: 'not a kit' });
    assert.notEqual(after.status, 429, JSON.stringify(after.body));
  });
});
