import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { Agent, request } from 'undici';
import { ensureWebBuilt } from '../e2e/support/build-web.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * The built UI over real HTTPS: ETags and 304s, the precompressed copies by
 * Accept-Encoding, Vary, and the long cache of hashed assets. undici's
 * `request` neither adds Accept-Encoding nor decompresses: the bytes are
 * the server's.
 */
describe('the web UI files: ETag, 304, precompressed brotli and gzip', () => {
  let test: TestServer;
  let agent: Agent;
  let script: string;
  let scriptBytes: Buffer;

  before(async () => {
    await ensureWebBuilt();
    test = await startTestServer();
    agent = new Agent({ connect: { ca: test.server.identity.certPem } });
    const assets = await readdir(path.join(REPO_ROOT, 'dist', 'web', 'assets'));
    const name = assets.find((file) => file.endsWith('.js'));
    assert.ok(name, 'the build has a script');
    script = `/assets/${name}`;
    scriptBytes = await readFile(path.join(REPO_ROOT, 'dist', 'web', 'assets', name));
  });
  after(async () => {
    await agent?.close();
    await test?.stop();
  });

  async function get(urlPath: string, headers: Record<string, string> = {}) {
    const response = await request(`${test.url}${urlPath}`, { dispatcher: agent, headers });
    const body = Buffer.from(await response.body.arrayBuffer());
    return { status: response.statusCode, headers: response.headers, body };
  }

  it('sends brotli to a browser that takes it, gzip to one that takes only gzip, plain bytes to one that takes neither', async () => {
    const br = await get(script, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.ok(zlib.brotliDecompressSync(br.body).equals(scriptBytes));
    assert.ok(br.body.length < scriptBytes.length);
    assert.equal(Number(br.headers['content-length']), br.body.length);

    const gz = await get(script, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(zlib.gunzipSync(gz.body).equals(scriptBytes));

    const refused = await get(script, { 'accept-encoding': 'br;q=0, gzip;q=0' });
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.ok(refused.body.equals(scriptBytes));

    const none = await get(script);
    assert.equal(none.headers['content-encoding'], undefined);
    assert.equal(none.headers.vary, 'Accept-Encoding');
    assert.ok(none.body.equals(scriptBytes));
    assert.match(String(none.headers['content-type']), /javascript/);
  });

  it('hashed assets keep their long cache; each encoding has its own ETag, and If-None-Match answers 304 without a body', async () => {
    const first = await get(script, { 'accept-encoding': 'br' });
    assert.equal(first.headers['cache-control'], 'public, max-age=31536000, immutable');
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+-br"$/);
    const plainTag = String((await get(script)).headers.etag);
    assert.notEqual(plainTag, etag);

    const again = await get(script, { 'accept-encoding': 'br', 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    assert.equal(again.headers.vary, 'Accept-Encoding');
    assert.equal(again.headers['cache-control'], 'public, max-age=31536000, immutable');

    const otherTag = await get(script, { 'accept-encoding': 'br', 'if-none-match': '"nope"' });
    assert.equal(otherTag.status, 200);
  });

  it('index.html (any page path) is revalidated each time: no-cache with an ETag, then 304', async () => {
    const page = await get('/peers', { 'accept-encoding': 'gzip, br' });
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(String(page.headers['content-type']), /text\/html/);
    const etag = String(page.headers.etag);
    assert.ok(etag.startsWith('"'));
    const again = await get('/', { 'accept-encoding': 'gzip, br', 'if-none-match': `W/${etag}` });
    assert.equal(again.status, 304);
  });

  it('the API keeps its own answers: no ETag from the UI route, no-store', async () => {
    const health = await get('/api/nothing-here', { 'accept-encoding': 'br' });
    assert.equal(health.status, 404);
    assert.equal(health.headers['content-encoding'], undefined);
  });
});
