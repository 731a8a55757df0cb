import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { FileStore } from '@tus/file-store';
import { Agent, fetch } from 'undici';
import { type ClusterServer, createUser, startNamedServer, writeFiles } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const MiB = 1024 * 1024;

/** tus requests as a browser's tus client sends them, with the user's session cookie. */
class TusRequests {
  private readonly agent: Agent;

  constructor(
    private readonly server: ClusterServer,
    private readonly client: ApiClient,
  ) {
    this.agent = new Agent({ connect: { ca: server.test.server.identity.certPem } });
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'tus-resumable': '1.0.0', cookie: this.client.sessionCookie ?? '', ...extra };
  }

  async create(size: number, metadata: Record<string, string>, extra: Record<string, string> = {}) {
    const encoded = Object.entries(metadata)
      .map(([key, value]) => `${key} ${Buffer.from(value, 'utf8').toString('base64')}`)
      .join(',');
    const response = await fetch(new URL('/api/files/uploads', this.server.test.url), {
      method: 'POST',
      headers: this.headers({ 'upload-length': String(size), 'upload-metadata': encoded, ...extra }),
      dispatcher: this.agent,
    });
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  }

  async head(location: string) {
    const response = await fetch(new URL(location, this.server.test.url), { method: 'HEAD', headers: this.headers(), dispatcher: this.agent });
    return { status: response.status, offset: Number(response.headers.get('upload-offset')) };
  }

  async patch(location: string, offset: number, bytes: Buffer, extra: Record<string, string> = {}) {
    const response = await fetch(new URL(location, this.server.test.url), {
      method: 'PATCH',
      headers: this.headers({ 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...extra }),
      body: bytes,
      dispatcher: this.agent,
    });
    const text = await response.text();
    return { status: response.status, offset: Number(response.headers.get('upload-offset')), body: text ? (JSON.parse(text) as any) : undefined };
  }

  async delete(location: string) {
    const response = await fetch(new URL(location, this.server.test.url), { method: 'DELETE', headers: this.headers(), dispatcher: this.agent });
    return { status: response.status };
  }

  /** A PATCH announcing `announced` bytes that sends only `sent` of them and then cuts the connection, as a closed laptop lid does. */
  /**
   * Two empty files' uploads sent at once on one connection, the second
   * before the first is answered (HTTP/1.1 pipelining); resolves with what
   * arrived as soon as it holds `seen`.
   */
  pipelinedEmptyFiles(relPaths: [string, string], seen: string): Promise<string> {
    const url = new URL(this.server.test.url);
    const metadata = (relPath: string) => `share ${Buffer.from('data').toString('base64')},path ${Buffer.from(relPath).toString('base64')}`;
    const request = (relPath: string) =>
      [
        'POST /api/files/uploads HTTP/1.1',
        `host: ${url.host}`,
        ...Object.entries(this.headers({ 'upload-length': '0', 'upload-metadata': metadata(relPath), 'content-length': '0' })).map(([name, value]) => `${name}: ${value}`),
        '',
        '',
      ].join('\r\n');
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: this.server.test.server.identity.certPem }, () => {
        socket.write(request(relPaths[0]) + request(relPaths[1]));
      });
      let received = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer holding ${seen} within 10 s; arrived: ${received}`));
      }, 10_000);
      socket.on('data', (data: Buffer) => {
        received += data.toString('latin1');
        if (!received.includes(seen)) return;
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      });
      socket.on('error', reject);
    });
  }

  patchCutShort(location: string, offset: number, bytes: Buffer, sent: number): Promise<void> {
    const url = new URL(location, this.server.test.url);
    return new Promise((resolve) => {
      const request = httpsRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'PATCH',
        ca: this.server.test.server.identity.certPem,
        headers: this.headers({ 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), 'content-length': String(bytes.length) }),
      });
      request.on('error', () => resolve());
      request.write(bytes.subarray(0, sent), () => {
        // let the server write what arrived before the cut
        setTimeout(() => {
          request.destroy();
          resolve();
        }, 300);
      });
    });
  }

  /** A whole upload in one PATCH: its final answer. */
  async upload(relPath: string, bytes: Buffer, share = 'backup') {
    const created = await this.create(bytes.length, { share, path: relPath });
    if (created.status !== 201 || !created.location) return { status: created.status, body: JSON.parse(created.body) as any };
    return this.patch(created.location, 0, bytes);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('web file manager: browse, download and resumable upload into your own shares', () => {
  let server: ClusterServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceTus: TusRequests;
  let bobTus: TusRequests;
  let backupOfAlice: string;
  let outside: string;

  before(async () => {
    server = await startNamedServer('server-a');
    alice = (await createUser(server, 'alice')).client;
    bob = (await createUser(server, 'bob')).client;
    aliceTus = new TusRequests(server, alice);
    bobTus = new TusRequests(server, bob);
    backupOfAlice = path.join(server.test.dataDir, 'shares', 'alice', 'backup');
    outside = await mkdtemp(path.join(os.tmpdir(), 'anemone-outside-'));
  });
  after(async () => {
    await Promise.all([aliceTus?.close(), bobTus?.close()]);
    await server?.test.stop();
    await rm(outside, { recursive: true, force: true });
  });

  it('uploads a multi-MiB file in chunks, cut mid-way, resumed from the offset the server reports, byte-identical in the share', async () => {
    const content = randomBytes(6 * MiB + 12_345);
    const created = await aliceTus.create(content.length, { share: 'backup', path: 'videos/holiday.mp4', lastModified: String(Date.UTC(2024, 6, 14, 12)) });
    assert.equal(created.status, 201, created.body);
    const location = created.location as string;
    assert.match(location, /^\/api\/files\/uploads\/[0-9]+-[0-9a-f]{32}$/);

    const first = await aliceTus.patch(location, 0, content.subarray(0, 2 * MiB));
    assert.equal(first.status, 204);
    assert.equal(first.offset, 2 * MiB);

    await aliceTus.patchCutShort(location, 2 * MiB, content.subarray(2 * MiB, 5 * MiB), MiB + 7);
    const after = await until(
      () => aliceTus.head(location),
      (found) => found.status === 200 && found.offset > 2 * MiB,
    );
    assert.equal(after.status, 200);
    assert.ok(after.offset > 2 * MiB && after.offset < 5 * MiB, `the server kept part of the cut chunk (${after.offset})`);
    assert.deepEqual(await readdir(path.join(backupOfAlice)).catch(() => []), [], 'nothing is in the share before the last byte');

    const rest = await aliceTus.patch(location, after.offset, content.subarray(after.offset));
    assert.equal(rest.status, 200);
    assert.deepEqual(rest.body, { share: 'backup', path: 'videos/holiday.mp4', renamed: false });
    const stored = await readFile(path.join(backupOfAlice, 'videos', 'holiday.mp4'));
    assert.equal(sha256(stored), sha256(content));
    assert.equal((await alice.get('/api/files/backup?path=videos')).body.files[0].mtime, '2024-07-14T12:00:00.000Z', 'the file keeps the date the browser sent');
    assert.equal((await aliceTus.head(location)).status, 404, 'a finished upload is gone from the staging folder');
    assert.deepEqual(await readdir(path.join(server.test.dataDir, 'uploads')), []);
  });

  it('stores an empty file, which has no bytes to send after its creation', async () => {
    const created = await aliceTus.create(0, { share: 'data', path: 'empty/nothing.txt' });
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(JSON.parse(created.body), { share: 'data', path: 'empty/nothing.txt', renamed: false });
    assert.equal((await readFile(path.join(server.test.dataDir, 'shares', 'alice', 'data', 'empty', 'nothing.txt'))).length, 0);
    assert.deepEqual(await readdir(path.join(server.test.dataDir, 'uploads')), []);
  });

  it('answers a finished upload only once its staged copy is removed, on a connection that then goes on', async (t) => {
    // the removal slowed: an answer that left before it would let the client see the upload still staged
    const remove = FileStore.prototype.remove;
    mock.method(FileStore.prototype, 'remove', async function (this: FileStore, id: string) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return remove.call(this, id);
    });
    t.after(() => mock.restoreAll());
    const staging = path.join(server.test.dataDir, 'uploads');
    const created = await aliceTus.create(0, { share: 'data', path: 'slow/empty.txt' });
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(await readdir(staging), [], 'the empty file, answered with its 201');
    // an error answer after the finish (the placement refused: a link in the way) is held alike
    const dataOfAlice = path.join(server.test.dataDir, 'shares', 'alice', 'data');
    await mkdir(dataOfAlice, { recursive: true });
    await symlink(outside, path.join(dataOfAlice, 'slow-link'));
    const refused = await aliceTus.create(0, { share: 'data', path: 'slow-link/empty.txt' });
    assert.equal(refused.status, 409, refused.body);
    assert.deepEqual(await readdir(staging), [], 'the placement refused, answered with its 409');

    const started = await aliceTus.create(5, { share: 'data', path: 'slow/hello.txt' });
    const location = started.location as string;
    const finished = await aliceTus.patch(location, 0, Buffer.from('hello'));
    assert.equal(finished.status, 200);
    assert.deepEqual(await readdir(staging), [], 'the last PATCH, answered with its 200');
    // the same keep-alive connection answers the next request
    assert.equal((await aliceTus.head(location)).status, 404);
  });

  it('holds each answer of a pipelined connection until its own staged copy is removed, whichever removal ends first', async (t) => {
    // a removal slowed for the uploads named "slow": a queued answer must neither leave before its removal nor be held after it
    const remove = FileStore.prototype.remove;
    mock.method(FileStore.prototype, 'remove', async function (this: FileStore, id: string) {
      const slow = (await this.getUpload(id)).metadata?.path?.includes('slow') === true;
      await new Promise((resolve) => setTimeout(resolve, slow ? 800 : 50));
      return remove.call(this, id);
    });
    t.after(() => mock.restoreAll());
    const staging = path.join(server.test.dataDir, 'uploads');
    const orders: [string, string][] = [
      ['pipelined/quick-1.txt', 'pipelined/slow-2.txt'],
      ['pipelined/slow-3.txt', 'pipelined/quick-4.txt'],
    ];
    for (const relPaths of orders) {
      const received = await aliceTus.pipelinedEmptyFiles(relPaths, relPaths[1]);
      const staged = await readdir(staging);
      assert.equal(received.match(/HTTP\/1\.1 201/g)?.length, 2, received);
      assert.deepEqual(staged, [], `${relPaths.join(' then ')}: both answered, nothing staged`);
    }
  });

  it('refuses another user any look at, write to or cancel of your upload, as if it did not exist', async () => {
    const content = randomBytes(MiB);
    const created = await aliceTus.create(content.length, { share: 'data', path: 'private.bin' });
    const location = created.location as string;
    assert.equal((await aliceTus.patch(location, 0, content.subarray(0, 1000))).status, 204);

    assert.equal((await bobTus.head(location)).status, 404);
    const written = await bobTus.patch(location, 1000, content.subarray(1000));
    assert.equal(written.status, 404);
    assert.equal(written.body.error.code, 'UPLOAD_NOT_FOUND');
    assert.equal((await bobTus.delete(location)).status, 404);
    // his own upload's URL with hers smuggled after it: the upload addressed is the one the route checked, never another
    const bobs = (await bobTus.create(10, { share: 'data', path: 'bob.txt' })).location as string;
    const aliceId = location.split('/').pop() as string;
    for (const smuggled of [`${bobs}?/${aliceId}`, `${bobs}?x=/${aliceId}`, `${bobs.replace(/[^/]+$/, '')}${encodeURIComponent(`${bobs.split('/').pop()}/../${aliceId}`)}`]) {
      const looked = await bobTus.head(smuggled);
      assert.notEqual(looked.offset, 1000, `${smuggled} reached alice's upload`);
      const wrote = await bobTus.patch(smuggled, 1000, content.subarray(1000, 2000));
      assert.notEqual(wrote.status, 204, `${smuggled} wrote into alice's upload`);
    }
    assert.equal((await bobTus.delete(bobs)).status, 204, 'bob cancels his own');
    const signedOut = new TusRequests(server, server.test.client());
    assert.equal((await signedOut.head(location)).status, 401);
    await signedOut.close();

    assert.equal((await aliceTus.head(location)).offset, 1000, 'the owner resumes where it stood');
    assert.equal((await aliceTus.patch(location, 1000, content.subarray(1000))).status, 200);
    assert.equal(sha256(await readFile(path.join(server.test.dataDir, 'shares', 'alice', 'data', 'private.bin'))), sha256(content));
    assert.deepEqual(await readdir(path.join(server.test.dataDir, 'shares', 'bob', 'data')), []);
  });

  it('refuses hostile target paths before a byte is sent', async () => {
    for (const hostile of ['../escape.txt', 'a/../../escape.txt', '/etc/passwd', 'a//b.txt', 'nul\0byte.txt', 'windows\\style.txt', '.hidden', 'folder/./x.txt', 'x'.repeat(256)]) {
      const created = await aliceTus.create(10, { share: 'backup', path: hostile });
      assert.equal(created.status, 400, `${JSON.stringify(hostile)} is refused`);
      assert.equal(JSON.parse(created.body).error.code, 'FILE_PATH_REFUSED');
    }
    const noShare = await aliceTus.create(10, { share: '../bob', path: 'x.txt' });
    assert.equal(noShare.status, 404);
    assert.equal((await aliceTus.create(10, { path: 'x.txt' })).status, 400, 'no share named');
    assert.deepEqual(await readdir(path.join(server.test.dataDir, 'uploads')), [], 'nothing was staged');
    assert.equal((await alice.post('/api/files/backup/folder', { path: '../../bob/data/mine' })).status, 400);
    assert.equal((await alice.get('/api/files/backup?path=../../bob')).status, 400);
    assert.equal((await alice.get('/api/files/backup/file?path=../../bob/data/private.bin')).status, 400);
  });

  it('never follows a symbolic link at any part of the target: the upload is refused and nothing lands outside', async () => {
    await mkdir(backupOfAlice, { recursive: true });
    await symlink(outside, path.join(backupOfAlice, 'link-out'));
    const refused = await aliceTus.upload('link-out/planted.txt', Buffer.from('planted'));
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'FILE_IN_THE_WAY');
    assert.match(refused.body.error.message, /symbolic link/);
    const folder = await alice.post('/api/files/backup/folder', { path: 'link-out/sub' });
    assert.equal(folder.status, 409);
    // a link at the file's own name is not replaced and not written through either
    await writeFile(path.join(outside, 'target.txt'), 'outside stays');
    await symlink(path.join(outside, 'target.txt'), path.join(backupOfAlice, 'linked.txt'));
    const beside = await aliceTus.upload('linked.txt', Buffer.from('new'));
    assert.equal(beside.status, 200);
    assert.equal(beside.body.path, 'linked (1).txt');
    assert.deepEqual(await readdir(outside), ['target.txt']);
    assert.equal(await readFile(path.join(outside, 'target.txt'), 'utf8'), 'outside stays');
    assert.equal((await alice.get('/api/files/backup?path=link-out')).body.error.code, 'FILE_NOT_REGULAR');
    assert.equal((await alice.get('/api/files/backup/file?path=linked.txt')).status, 409, 'a link is not downloaded');
  });

  it('keeps both when a file of that name is there: the upload is named "name (1).ext", then "(2)"', async () => {
    const first = await aliceTus.upload('docs/report.pdf', Buffer.from('first'));
    const second = await aliceTus.upload('docs/report.pdf', Buffer.from('second'));
    const third = await aliceTus.upload('docs/report.pdf', Buffer.from('third'));
    assert.deepEqual([first.body, second.body, third.body], [
      { share: 'backup', path: 'docs/report.pdf', renamed: false },
      { share: 'backup', path: 'docs/report (1).pdf', renamed: true },
      { share: 'backup', path: 'docs/report (2).pdf', renamed: true },
    ]);
    assert.equal(await readFile(path.join(backupOfAlice, 'docs', 'report.pdf'), 'utf8'), 'first');
    assert.equal(await readFile(path.join(backupOfAlice, 'docs', 'report (2).pdf'), 'utf8'), 'third');
    const folderInTheWay = await aliceTus.upload('docs', Buffer.from('a file where a folder is'));
    assert.equal(folderInTheWay.status, 409);
  });

  it('lists a folder and downloads a file byte-identical, streamed with its name', async () => {
    const content = randomBytes(3 * MiB + 5);
    await writeFiles(backupOfAlice, { 'photos/été 2024/cat.jpg': content, 'photos/.thumbs/cat.jpg': 'hidden', 'photos/empty.txt': '' });
    const listing = await alice.get('/api/files/backup?path=photos');
    assert.equal(listing.status, 200);
    assert.deepEqual(listing.body.folders, [{ name: 'été 2024', path: 'photos/été 2024' }]);
    assert.deepEqual(
      listing.body.files.map((file: { name: string; size: number }) => [file.name, file.size]),
      [['empty.txt', 0]],
    );
    const agent = new Agent({ connect: { ca: server.test.server.identity.certPem } });
    const response = await fetch(new URL(`/api/files/backup/file?path=${encodeURIComponent('photos/été 2024/cat.jpg')}`, server.test.url), {
      headers: { cookie: alice.sessionCookie ?? '' },
      dispatcher: agent,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(content.length));
    assert.equal(response.headers.get('content-disposition'), `attachment; filename="cat.jpg"; filename*=UTF-8''cat.jpg`);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), sha256(content));
    const empty = await fetch(new URL('/api/files/backup/file?path=photos/empty.txt', server.test.url), { headers: { cookie: alice.sessionCookie ?? '' }, dispatcher: agent });
    assert.equal(empty.status, 200);
    assert.equal((await empty.arrayBuffer()).byteLength, 0);
    await agent.close();
    assert.equal((await bob.get('/api/files/backup/file?path=photos/empty.txt')).status, 404, "bob's own backup has no such file");
    assert.equal((await server.test.client().get('/api/files/backup?path=')).status, 401);
  });

  it('reaches no hidden name to browse, download or delete, as the listing shows none (a file still being written among them)', async () => {
    await writeFiles(backupOfAlice, { 'hidden/.thumbs/cat.jpg': 'thumb', 'hidden/.cat.jpg.anemone-upload-0123456789ab': 'half an upload' });
    for (const hidden of ['hidden/.thumbs', 'hidden/.thumbs/cat.jpg', 'hidden/.cat.jpg.anemone-upload-0123456789ab']) {
      for (const response of [
        await alice.get(`/api/files/backup?path=${encodeURIComponent(hidden)}`),
        await alice.get(`/api/files/backup/file?path=${encodeURIComponent(hidden)}`),
        await alice.delete(`/api/files/backup?path=${encodeURIComponent(hidden)}`),
      ]) {
        assert.equal(response.status, 400, hidden);
        assert.equal(response.body.error.code, 'FILE_PATH_REFUSED', hidden);
      }
    }
    assert.deepEqual((await readdir(path.join(backupOfAlice, 'hidden'))).sort(), ['.cat.jpg.anemone-upload-0123456789ab', '.thumbs']);
    await rm(path.join(backupOfAlice, 'hidden'), { recursive: true });
  });

  it('answers at once for a FIFO in the share, without hanging on it', async () => {
    execFileSync('mkfifo', [path.join(backupOfAlice, 'pipe')]);
    const started = Date.now();
    const response = await alice.get('/api/files/backup/file?path=pipe');
    assert.equal(response.status, 409);
    assert.equal(response.body.error.code, 'FILE_NOT_REGULAR');
    assert.ok(Date.now() - started < 5_000);
    const listing = await alice.get('/api/files/backup?path=');
    assert.ok(!listing.body.files.some((file: { name: string }) => file.name === 'pipe'), 'a FIFO is not listed as a file');
  });

  it('deletes a file and then its emptied folder, but never a folder with files, a link, or through a link', async () => {
    await writeFiles(backupOfAlice, { 'old/a.txt': 'a', 'old/b.txt': 'b' });
    const full = await alice.delete('/api/files/backup?path=old');
    assert.equal(full.status, 409);
    assert.equal(full.body.error.code, 'FOLDER_NOT_EMPTY');
    assert.deepEqual((await alice.delete('/api/files/backup?path=old/a.txt')).body, { share: 'backup', path: 'old/a.txt', removed: 'file' });
    assert.equal((await alice.delete('/api/files/backup?path=old/b.txt')).status, 200);
    assert.deepEqual((await alice.delete('/api/files/backup?path=old')).body, { share: 'backup', path: 'old', removed: 'folder' });
    assert.ok(!(await readdir(backupOfAlice)).includes('old'));
    assert.equal((await alice.delete('/api/files/backup?path=old')).status, 404);

    // the links of the test above: one to a folder outside, one to a file outside
    assert.equal((await alice.delete('/api/files/backup?path=link-out/target.txt')).body.error.code, 'FILE_NOT_REGULAR');
    assert.equal((await alice.delete('/api/files/backup?path=linked.txt')).body.error.code, 'FILE_NOT_REGULAR');
    assert.deepEqual(await readdir(outside), ['target.txt']);
    assert.equal((await alice.delete('/api/files/backup?path=../../bob/data/bob.txt')).status, 400);
    assert.equal((await bob.delete('/api/files/backup?path=docs/report.pdf')).status, 404, "bob's backup has no such file; alice's is not his to delete");
    assert.equal(await readFile(path.join(backupOfAlice, 'docs', 'report.pdf'), 'utf8'), 'first');
  });

  it('makes a folder, and refuses a cross-site upload', async () => {
    const made = await alice.post('/api/files/data/folder', { path: 'new/nested' });
    assert.equal(made.status, 201);
    assert.deepEqual((await alice.get('/api/files/data?path=new')).body.folders, [{ name: 'nested', path: 'new/nested' }]);
    const crossSite = await aliceTus.create(10, { share: 'data', path: 'forged.txt' }, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
  });
});

/** Long enough that a loaded machine's create-then-patch stays inside it; the sweep then waits it out (until's 5 s). */
const UPLOAD_EXPIRY_MS = 1_500;

describe('web uploads at the limits: a size cap, a full disk, expiry of abandoned uploads', () => {
  let server: ClusterServer;
  let tus: TusRequests;

  before(async () => {
    server = await startNamedServer('server-a', { serverOptions: { uploads: { maxUploadBytes: 4 * MiB, expiryMs: UPLOAD_EXPIRY_MS, sweepMs: 100 } } });
    tus = new TusRequests(server, (await createUser(server, 'alice')).client);
  });
  after(async () => {
    await tus?.close();
    await server?.test.stop();
  });

  it('refuses a file above the cap with 413 before a byte is sent', async () => {
    const created = await tus.create(4 * MiB + 1, { share: 'data', path: 'big.iso' });
    assert.equal(created.status, 413);
    assert.equal(JSON.parse(created.body).error.code, 'UPLOAD_TOO_LARGE');
  });

  it('removes an abandoned upload once it expired', async () => {
    const created = await tus.create(1000, { share: 'data', path: 'abandoned.bin' });
    assert.equal((await tus.patch(created.location as string, 0, randomBytes(10))).status, 204);
    const staging = path.join(server.test.dataDir, 'uploads');
    // past its expiry tus answers 410 at once; the sweep (every 100 ms here) then removes its files
    const left = await until(
      () => readdir(staging),
      (names) => names.length === 0,
      UPLOAD_EXPIRY_MS + 5_000,
    );
    assert.deepEqual(left, []);
    assert.equal((await tus.head(created.location as string)).status, 404);
  });
});

describe('web uploads on a full disk', () => {
  let server: ClusterServer;
  let tus: TusRequests;

  before(async () => {
    // a reserve larger than any disk: every upload finds no room
    server = await startNamedServer('server-a', { serverOptions: { uploads: { reserveBytes: Number.MAX_SAFE_INTEGER } } });
    tus = new TusRequests(server, (await createUser(server, 'alice')).client);
  });
  after(async () => {
    await tus?.close();
    await server?.test.stop();
  });

  it('answers 507 with what to do, and stages nothing', async () => {
    const created = await tus.create(1000, { share: 'data', path: 'file.bin' });
    assert.equal(created.status, 507);
    const { error } = JSON.parse(created.body);
    assert.equal(error.code, 'UPLOAD_DISK_FULL');
    assert.match(error.message, /room for 0\.0 MiB more/);
    assert.match(error.hint, /Free space/);
    assert.deepEqual(await readdir(path.join(server.test.dataDir, 'uploads')), []);
  });
});
