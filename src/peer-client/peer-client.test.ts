import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateIdentity, type ServerIdentity } from '../identity/identity.js';
import { CT_SHA256_HEADER, SYNC_PREFIX } from '../protocol/v1/index.js';
import { PeerClient } from './peer-client.js';
import type { PeerError } from './peer-error.js';
import { SessionSlot } from './session-slot.js';

const HASH = 'a'.repeat(64);

/** A minimal stand-in for the receiving side: just enough of protocol v1 to watch what the client sends. */
class FakePeer {
  server!: https.Server;
  port = 0;
  tokens = new Set<string>();
  sessionsOpened = 0;
  /** The source name of every session opened, in order: a test can tell its own client's from a late one of an earlier test. */
  sessionSources: string[] = [];
  connections = 0;
  clientFingerprints = new Set<string>();
  manifests = new Map<string, Buffer>();
  files = new Map<string, Buffer>();
  uploads: { path: string; headers: IncomingMessage['headers']; trailer?: Buffer }[] = [];
  deleteRequests = 0;
  rateLimited = false;
  /** Speaks only a later protocol version: v1 routes are unknown to it, as to a v2-only Anemone. */
  speaksOnlyV2 = false;

  constructor(private readonly identity: ServerIdentity) {}

  async start(): Promise<void> {
    this.server = https.createServer({ cert: this.identity.certPem, key: this.identity.keyPem, requestCert: true, rejectUnauthorized: false }, (request, response) => {
      this.handle(request, response).catch((error) => {
        response.statusCode = 500;
        response.end(JSON.stringify({ error: { code: 'INTERNAL', message: String(error) } }));
      });
    });
    this.server.on('secureConnection', (socket: TLSSocket) => {
      this.connections++;
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256;
      if (fingerprint) this.clientFingerprints.add(fingerprint);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://fake');
    // a manifest of user `refuses` is answered before its body is read; of user `cuts`, the connection drops part way
    if (request.method === 'PUT' && url.pathname.endsWith('/shares/refuses/backup/manifest')) {
      response.writeHead(507, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ error: { code: 'INSUFFICIENT_STORAGE', message: 'disk full' } }));
    }
    if (request.method === 'PUT' && url.pathname.endsWith('/shares/cuts/backup/manifest')) return void request.once('data', () => request.socket.destroy());
    const body = await readAll(request);
    const send = (status: number, value?: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(value === undefined ? undefined : JSON.stringify(value));
    };
    if (this.speaksOnlyV2 && url.pathname.startsWith(SYNC_PREFIX)) return send(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    const route = url.pathname.slice(SYNC_PREFIX.length);
    if (route === '/hello') return send(200, { protocolVersion: 1, serverName: 'fake-peer', fingerprint: this.identity.fingerprint });
    if (route === '/session') {
      if (this.rateLimited) return send(429, { error: { code: 'TOO_MANY_ATTEMPTS', message: 'slow down' } }, { 'retry-after': '30' });
      const { password, sourceServer } = JSON.parse(body.toString()) as { password?: string; sourceServer?: string };
      if (password !== 'pw') return send(401, { error: { code: 'PEER_UNAUTHORIZED', message: 'wrong password' } }, { 'www-authenticate': 'Bearer' });
      this.sessionSources.push(sourceServer ?? '');
      const token = `token-${++this.sessionsOpened}`;
      this.tokens.add(token);
      return send(200, { token, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), serverName: 'fake-peer' });
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !this.tokens.has(token)) return send(401, { error: { code: 'SESSION_INVALID', message: 'no session' } });

    const share = /^\/shares\/([^/]+)\/([^/]+)\/(\w+)$/.exec(route);
    if (route === '/shares') return send(200, { shares: [] });
    if (!share) return send(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    const [, user, shareName, action] = share;
    const key = (p: string) => `${user}/${shareName}/${p}`;
    const storedPath = url.searchParams.get('path') ?? '';
    if (user === 'slow') return; // never answers
    switch (`${request.method} ${action}`) {
      case 'GET manifest': {
        const manifest = this.manifests.get(key(''));
        if (!manifest) return send(404, { error: { code: 'NOT_FOUND', message: 'no manifest' } });
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void response.end(manifest);
      }
      case 'PUT manifest': {
        // a streamed manifest ends with its SHA-256 as a 32-byte trailer, like a file
        const trailer = request.headers[CT_SHA256_HEADER] === 'trailer';
        this.manifests.set(key(''), trailer ? body.subarray(0, body.length - 32) : body);
        this.uploads.push({ path: '_manifest.json.enc', headers: request.headers, ...(trailer ? { trailer: body.subarray(body.length - 32) } : {}) });
        return send(204);
      }
      case 'PUT file':
        if (storedPath === 'full.enc') return send(507, { error: { code: 'INSUFFICIENT_STORAGE', message: 'disk full' } });
        if (storedPath === 'big.enc') return send(413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'too big' } });
        // a streamed file ends with its SHA-256 as a 32-byte trailer
        this.files.set(key(storedPath), request.headers[CT_SHA256_HEADER] === 'trailer' ? body.subarray(0, body.length - 32) : body);
        this.uploads.push({ path: storedPath, headers: request.headers, trailer: body.subarray(body.length - 32) });
        return send(201, { stored: 1 });
      case 'POST batch': {
        let offset = 0;
        let stored = 0;
        while (offset < body.length) {
          const headerLength = body.readUInt32BE(offset);
          const header = JSON.parse(body.subarray(offset + 4, offset + 4 + headerLength).toString()) as { path: string; size: number };
          const start = offset + 4 + headerLength;
          this.files.set(key(header.path), body.subarray(start, start + header.size));
          offset = start + header.size;
          stored++;
        }
        return send(200, { stored });
      }
      case 'GET file': {
        const file = this.files.get(key(storedPath));
        if (!file) return send(404, { error: { code: 'NOT_FOUND', message: 'no such file' } });
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void response.end(file);
      }
      case 'GET files': {
        const prefix = key('');
        const files = [...this.files].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => ({ path: k.slice(prefix.length), size: v.length }));
        return send(200, { files });
      }
      case 'POST delete': {
        this.deleteRequests++;
        const { paths } = JSON.parse(body.toString()) as { paths: string[] };
        let deleted = 0;
        for (const p of paths) if (this.files.delete(key(p))) deleted++;
        return send(200, { deleted });
      }
    }
    send(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('PeerClient against a fake peer', () => {
  let tmp: string;
  let peerIdentity: ServerIdentity;
  let ownIdentity: ServerIdentity;
  let peer: FakePeer;
  const clients: PeerClient[] = [];

  function client(options: { password?: string; timeoutMs?: number; session?: SessionSlot } = {}): PeerClient {
    const made = new PeerClient({
      address: '127.0.0.1',
      port: peer.port,
      identity: ownIdentity,
      pinnedFingerprint: peerIdentity.fingerprint,
      timeoutMs: options.timeoutMs ?? 10_000,
      credentials: { sourceServer: 'server-a', password: options.password ?? 'pw' },
      ...(options.session ? { session: options.session } : {}),
    });
    clients.push(made);
    return made;
  }

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'anemone-peer-client-'));
    [peerIdentity, ownIdentity] = await Promise.all([
      loadOrCreateIdentity({ certsDir: path.join(tmp, 'peer') }),
      loadOrCreateIdentity({ certsDir: path.join(tmp, 'own') }),
    ]);
    peer = new FakePeer(peerIdentity);
    await peer.start();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await peer.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('presents this server’s certificate as its client certificate', async () => {
    const hello = await client().hello();
    assert.equal(hello.serverName, 'fake-peer');
    assert.ok(peer.clientFingerprints.has(ownIdentity.fingerprint));
  });

  it('says which server to upgrade when the peer has no v1 hello (a newer or older peer)', async () => {
    peer.speaksOnlyV2 = true;
    try {
      await assert.rejects(client().hello(), (error: PeerError) => {
        assert.equal(error.code, 'PEER_PROTOCOL_ERROR');
        assert.match(error.message, /does not speak the Anemone sync protocol v1; if it is an Anemone server, upgrade the older of the two servers/);
        return true;
      });
    } finally {
      peer.speaksOnlyV2 = false;
    }
  });

  it('reports how much of an upload body the connection took, piece by piece, up to the whole body', async () => {
    const c = client();
    const content = Buffer.alloc(300_000, 3);
    const fileProgress: [number, number][] = [];
    await c.putFile('bob', 'backup', 'metered.bin.enc', Readable.from([content]), content.length, { onSent: (sent, total) => fileProgress.push([sent, total]) });
    assert.ok(fileProgress.length >= 4, `${fileProgress.length} reports for a 300 kB body`);
    assert.deepEqual(fileProgress.at(-1), [content.length + 32, content.length + 32]);
    assert.ok(fileProgress.every(([sent], index) => index === 0 || sent > (fileProgress[index - 1]?.[0] ?? 0)));
    assert.deepEqual(await readAll(await c.getFile('bob', 'backup', 'metered.bin.enc')), content);

    let batchSent: [number, number] | undefined;
    const stored = await c.putBatch('bob', 'backup', [{ path: 'm.txt.enc', ctSha256: HASH, body: Buffer.from('metered') }], {
      onSent: (sent, total) => (batchSent = [sent, total]),
    });
    assert.equal(stored, 1);
    assert.ok(batchSent && batchSent[0] === batchSent[1] && batchSent[1] > 'metered'.length);
  });

  it('maps a wrong password to 401 unauthorized, and a right one opens a session', async () => {
    await assert.rejects(client({ password: 'nope' }).ensureSession(), (error: any) => error.code === 'PEER_UNAUTHORIZED' && error.status === 401);
    const opened = await client().openSession('server-a', 'pw');
    assert.equal(opened.serverName, 'fake-peer');
  });

  it('round-trips manifests, files, batches, listings and deletions', async () => {
    const c = client();
    assert.equal(await c.getManifest('alice', 'backup'), null);
    const manifest = Buffer.from('manifest bytes');
    // a stream that ends only later, as one sealed while the connection takes it
    async function* sealing(): AsyncGenerator<Buffer> {
      yield manifest.subarray(0, 5);
      await new Promise((resolve) => setImmediate(resolve));
      yield manifest.subarray(5);
    }
    const written = await c.putManifest('alice', 'backup', () => Readable.from(sealing()), { generation: 3 });
    assert.deepEqual(await c.getManifest('alice', 'backup'), manifest);
    assert.equal(written.bytes, manifest.length);
    const manifestUpload = peer.uploads.find((u) => u.path === '_manifest.json.enc');
    // sealed as it is sent: its length is not known in advance, its hash follows it
    assert.equal(manifestUpload?.headers['content-length'], undefined);
    assert.equal(manifestUpload?.headers['transfer-encoding'], 'chunked');
    assert.equal(manifestUpload?.headers[CT_SHA256_HEADER], 'trailer');
    assert.equal(manifestUpload?.trailer?.toString('hex'), createHash('sha256').update(manifest).digest('hex'));
    assert.equal(manifestUpload?.headers['x-anemone-manifest-generation'], '3');

    const content = Buffer.alloc(300_000, 7);
    const sent = await c.putFile('alice', 'backup', 'photos/cat.jpg.enc', Readable.from([content.subarray(0, 100_000), content.subarray(100_000)]), content.length);
    const upload = peer.uploads.find((u) => u.path === 'photos/cat.jpg.enc');
    assert.equal(upload?.headers['content-length'], String(content.length + 32));
    assert.equal(upload?.headers['content-type'], 'application/octet-stream');
    assert.equal(upload?.headers[CT_SHA256_HEADER], 'trailer');
    assert.equal(sent.ctSha256, createHash('sha256').update(content).digest('hex'));
    assert.equal(upload?.trailer?.toString('hex'), sent.ctSha256);
    assert.deepEqual(await readAll(await c.getFile('alice', 'backup', 'photos/cat.jpg.enc')), content);

    const stored = await c.putBatch('alice', 'backup', [
      { path: 'a.txt.enc', ctSha256: HASH, body: Buffer.from('first') },
      { path: 'dir/b.txt.enc', ctSha256: HASH, body: Buffer.alloc(0) },
      { path: 'c.txt.enc', ctSha256: HASH, body: Buffer.from('third') },
    ]);
    assert.equal(stored, 3);
    assert.deepEqual(await readAll(await c.getFile('alice', 'backup', 'c.txt.enc')), Buffer.from('third'));
    assert.equal(await c.putBatch('alice', 'backup', []), 0);

    const listed = (await c.listFiles('alice', 'backup')).map((f) => `${f.path}:${f.size}`).sort();
    assert.deepEqual(listed, ['a.txt.enc:5', 'c.txt.enc:5', 'dir/b.txt.enc:0', `photos/cat.jpg.enc:${content.length}`]);

    await assert.rejects(c.getFile('alice', 'backup', 'missing.enc'), (error: any) => error.code === 'PEER_NOT_FOUND');

    const manyPaths = Array.from({ length: 12_000 }, (_, i) => `gone/${i}.enc`);
    const before = peer.deleteRequests;
    assert.equal(await c.deleteFiles('alice', 'backup', [...manyPaths, 'a.txt.enc']), 1);
    assert.ok(peer.deleteRequests - before >= 3, 'long deletions are split into bounded requests');
  });

  it('reuses connections for many small requests instead of a handshake each', async () => {
    const c = client();
    await c.ensureSession();
    const before = peer.connections;
    for (let i = 0; i < 40; i++) await c.listShares();
    await Promise.all(Array.from({ length: 20 }, () => c.listShares()));
    assert.ok(peer.connections - before <= 8, `${peer.connections - before} connections for 60 requests`);
  });

  it('opens a new session once, by itself, when the peer forgot the old one', async () => {
    const c = client();
    await c.listShares();
    const opened = peer.sessionsOpened;
    peer.tokens.clear();
    assert.deepEqual(await c.listShares(), []);
    assert.equal(peer.sessionsOpened, opened + 1);

    // a stream that cannot be replayed is not sent twice: the caller retries
    peer.tokens.clear();
    await assert.rejects(
      c.putFile('alice', 'backup', 'once.enc', Readable.from([Buffer.from('x')]), 1),
      (error: any) => error.code === 'SESSION_INVALID',
    );
    assert.deepEqual(await c.listShares(), []);

    // a manifest sealed as it is sent is sealed again for the replay, from the start
    peer.tokens.clear();
    let sealings = 0;
    const sealedAgain = Buffer.from('sealed again');
    const written = await c.putManifest('replay', 'backup', () => {
      sealings += 1;
      return Readable.from([sealedAgain]);
    });
    assert.equal(sealings, 2);
    assert.equal(written.bytes, sealedAgain.length);
    assert.deepEqual(peer.manifests.get('replay/backup/'), sealedAgain);
  });

  it('stops sealing a manifest the peer refuses or cuts off part way: what it was sealing from is let go, not left paused', async () => {
    const c = client();
    for (const [user, code] of [
      ['refuses', 'INSUFFICIENT_STORAGE'],
      ['cuts', 'PEER_CONNECTION_LOST'],
    ] as const) {
      const made: Readable[] = [];
      let closed = false;
      // 64 MiB sealed as the connection takes it: far more than the peer reads before it answers or cuts
      function* sealing(): Generator<Buffer> {
        try {
          for (let i = 0; i < 1024; i += 1) yield Buffer.alloc(64 * 1024, i);
        } finally {
          closed = true;
        }
      }
      const sealed = () => {
        const stream = Readable.from(sealing(), { objectMode: false });
        made.push(stream);
        return stream;
      };
      await assert.rejects(c.putManifest(user, 'backup', sealed), (error: any) => error.code === code);
      const [stream] = made;
      assert.equal(made.length, 1);
      if (!stream?.destroyed) await Promise.race([once(stream as Readable, 'close'), new Promise((resolve) => setTimeout(resolve, 2_000))]);
      assert.equal(stream?.destroyed, true, `${user}: the stream is destroyed`);
      assert.equal(closed, true, `${user}: the pieces' generator is closed`);
    }
    // and the other way: a sealing that fails part way fails the request, and the peer keeps nothing
    function* failing(): Generator<Buffer> {
      yield Buffer.alloc(64 * 1024);
      throw new Error('the state broke');
    }
    await assert.rejects(c.putManifest('alice', 'broken', () => Readable.from(failing(), { objectMode: false })));
    assert.equal(peer.manifests.has('alice/broken/'), false);
  });

  it('shares one session between the clients of one slot, opened once even when they ask together', async () => {
    const slot = new SessionSlot();
    const opened = peer.sessionsOpened;
    const [first, second] = [client({ session: slot }), client({ session: slot })];
    await Promise.all([first.listShares(), second.listShares(), first.ensureSession()]);
    assert.equal(peer.sessionsOpened, opened + 1);
    await client({ session: slot }).listShares();
    assert.equal(peer.sessionsOpened, opened + 1, 'a later client of the slot still uses that session');

    // a caller that gives up does not take the opening it started down with the others
    const fresh = new SessionSlot();
    const cancelled = new AbortController();
    const waiting = client({ session: fresh }).listShares({ signal: cancelled.signal });
    const patient = client({ session: fresh }).listShares();
    cancelled.abort();
    await assert.rejects(waiting, (error: any) => error.code === 'PEER_REQUEST_ABORTED');
    assert.deepEqual(await patient, []);
  });

  it('names a full disk, an oversized upload and rate limiting', async () => {
    const c = client();
    await assert.rejects(c.putFile('alice', 'backup', 'full.enc', Readable.from([Buffer.from('x')]), 1), (error: any) => {
      assert.equal(error.code, 'INSUFFICIENT_STORAGE');
      assert.match(error.message, /^507 Insufficient Storage/);
      return true;
    });
    await assert.rejects(c.putFile('alice', 'backup', 'big.enc', Readable.from([Buffer.from('x')]), 1), (error: any) => error.code === 'PAYLOAD_TOO_LARGE');
    peer.rateLimited = true;
    try {
      await assert.rejects(client().ensureSession(), (error: any) => error.code === 'PEER_RATE_LIMITED' && error.retryAfterSeconds === 30);
    } finally {
      peer.rateLimited = false;
    }
  });

  it('gives up on a silent peer after its timeout, and stops when asked to', async () => {
    const c = client({ timeoutMs: 300 });
    await assert.rejects(c.listFiles('slow', 'backup'), (error: any) => error.code === 'PEER_TIMEOUT');
    const controller = new AbortController();
    const pending = client().listFiles('slow', 'backup', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, (error: any) => error.code === 'PEER_REQUEST_ABORTED');
  });

  it('refuses the peer when pinned to another certificate, before sending anything', async () => {
    const pinnedElsewhere = new PeerClient({
      address: '127.0.0.1',
      port: peer.port,
      identity: ownIdentity,
      pinnedFingerprint: ownIdentity.fingerprint,
      timeoutMs: 5_000,
      // a name of its own: an earlier test's session opening may still land while this one runs (a loaded machine)
      credentials: { sourceServer: 'server-pinned-elsewhere', password: 'pw' },
    });
    clients.push(pinnedElsewhere);
    await assert.rejects(pinnedElsewhere.ensureSession(), (error: any) => error.code === 'PEER_CERTIFICATE_CHANGED' && error.seenFingerprint === peerIdentity.fingerprint);
    assert.deepEqual(peer.sessionSources.filter((source) => source === 'server-pinned-elsewhere'), []);
  });
});
