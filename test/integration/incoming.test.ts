import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSourceIdentity, PeerTlsClient, sha256 } from '../helpers/peer-tls-client.js';
import { type ApiClient, setUpServer, startTestServer, type TestServer } from '../helpers/test-server.js';

const SYNC_PASSWORD = 'sync password 1';

/** Every file below `folder`, relative to it, sorted. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('incoming syncs: storing what sources send', () => {
  let test: TestServer;
  let admin: ApiClient;
  let serverB: PeerTlsClient;
  let serverC: PeerTlsClient;
  let incomingDir: string;
  let outside: string;
  const shareDir = () => path.join(incomingDir, 'server-b', 'alice', 'backup');

  before(async () => {
    test = await startTestServer();
    incomingDir = path.join(test.dataDir, 'incoming');
    outside = await mkdtemp(path.join(os.tmpdir(), 'anemone-outside-'));
    ({ admin } = await setUpServer(test));
    await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: SYNC_PASSWORD });
    const ca = test.server.identity.certPem;
    serverB = new PeerTlsClient(test.url, { ca, identity: await makeSourceIdentity() });
    serverC = new PeerTlsClient(test.url, { ca, identity: await makeSourceIdentity() });
    assert.equal((await serverB.openSession('server-b', SYNC_PASSWORD)).status, 200);
    assert.equal((await serverC.openSession('server-c', SYNC_PASSWORD)).status, 200);
  });
  after(async () => {
    await serverB.close();
    await serverC.close();
    await test.stop();
    await rm(outside, { recursive: true, force: true });
  });

  it('stores a file and gives it back byte for byte', async () => {
    const bytes = randomBytes(10_000);
    const put = await serverB.putFile('alice', 'backup', 'photos/cat.jpg.enc', bytes);
    assert.equal(put.status, 204);
    assert.deepEqual(await readFile(path.join(shareDir(), 'photos', 'cat.jpg.enc')), bytes);
    const got = await serverB.getFile('alice', 'backup', 'photos/cat.jpg.enc');
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(got.bytes, bytes);
    const missing = await serverB.getFile('alice', 'backup', 'photos/dog.jpg.enc');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
  });

  it('streams uploads larger than the JSON body limit', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 3);
    const chunks = async function* () {
      for (let offset = 0; offset < bytes.length; offset += 65_536) yield bytes.subarray(offset, offset + 65_536);
    };
    assert.equal((await serverB.putFile('alice', 'backup', 'videos/big.mov.enc', chunks(), sha256(bytes))).status, 204);
    assert.equal(sha256((await serverB.getFile('alice', 'backup', 'videos/big.mov.enc')).bytes), sha256(bytes));
  });

  it('takes the hash from a trailer after the bytes when the source streams what it encrypts', async () => {
    const bytes = randomBytes(300_000);
    assert.equal((await serverB.putFileWithTrailer('alice', 'backup', 'streamed/a.enc', bytes)).status, 204);
    assert.deepEqual((await serverB.getFile('alice', 'backup', 'streamed/a.enc')).bytes, bytes);
    const empty = Buffer.alloc(0);
    assert.equal((await serverB.putFileWithTrailer('alice', 'backup', 'streamed/empty.enc', empty)).status, 204);
    assert.equal((await serverB.getFile('alice', 'backup', 'streamed/empty.enc')).bytes.length, 0);

    const wrong = await serverB.putFileWithTrailer('alice', 'backup', 'streamed/a.enc', randomBytes(1000), randomBytes(32));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'HASH_MISMATCH');
    const cut = await serverB.putFileWithTrailer('alice', 'backup', 'streamed/b.enc', Buffer.alloc(0), randomBytes(20));
    assert.equal(cut.body.error.code, 'HASH_MISMATCH');
    assert.deepEqual((await serverB.getFile('alice', 'backup', 'streamed/a.enc')).bytes, bytes, 'the old version stays');
    assert.equal((await serverB.getFile('alice', 'backup', 'streamed/b.enc')).status, 404);
    assert.deepEqual((await serverB.deleteFiles('alice', 'backup', ['streamed/a.enc', 'streamed/empty.enc'])).body, { deleted: 2 });
  });

  it('stores the manifest under its own name and keeps it out of the file list', async () => {
    const before = await serverB.getManifest('alice', 'backup');
    assert.equal(before.status, 404);
    const manifest = randomBytes(2000);
    assert.equal((await serverB.putManifest('alice', 'backup', manifest)).status, 204);
    assert.deepEqual(await readFile(path.join(shareDir(), '_manifest.json.enc')), manifest);
    assert.deepEqual((await serverB.getManifest('alice', 'backup')).bytes, manifest);

    const files = await serverB.listFiles('alice', 'backup');
    assert.deepEqual(files.body, {
      files: [
        { path: 'photos/cat.jpg.enc', size: 10_000 },
        { path: 'videos/big.mov.enc', size: 5 * 1024 * 1024 + 3 },
      ],
    });
    const shares = await serverB.listShares();
    assert.deepEqual(shares.body, { shares: [{ user: 'alice', share: 'backup', fileCount: 2, bytesUsed: 10_000 + 5 * 1024 * 1024 + 3 + 2000, hasManifest: true }] });
  });

  it('refuses a file whose SHA-256 does not match, keeping the old version and no temporary file', async () => {
    const old = await readFile(path.join(shareDir(), 'photos', 'cat.jpg.enc'));
    const damaged = randomBytes(10_000);
    const refused = await serverB.putFile('alice', 'backup', 'photos/cat.jpg.enc', damaged, sha256(randomBytes(10)));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'HASH_MISMATCH');
    const manifestRefused = await serverB.putManifest('alice', 'backup', randomBytes(100), sha256(Buffer.from('other')));
    assert.equal(manifestRefused.body.error.code, 'HASH_MISMATCH');
    const unannounced = await serverB.request('PUT', '/api/sync/v1/shares/alice/backup/file?path=x.enc', {
      headers: { 'content-type': 'application/octet-stream' },
      body: damaged,
    });
    assert.equal(unannounced.status, 400);

    assert.deepEqual(await readFile(path.join(shareDir(), 'photos', 'cat.jpg.enc')), old);
    assert.deepEqual(
      (await filesUnder(shareDir())).filter((file) => path.basename(file).startsWith('.')),
      [],
    );
  });

  it('refuses hostile paths and writes nothing outside incoming/<source>/', async () => {
    const before = await filesUnder(test.dataDir);
    const hostile = [
      '../x.enc',
      '../../../../../../tmp/evil.enc',
      '/etc/passwd.enc',
      'a/../../b.enc',
      'a\\b.enc',
      '..\\..\\b.enc',
      'a\u0000b.enc',
      'e\u0301.enc',
      '.hidden.enc',
      'a/.anemone-tmp-x.enc',
      `${'x'.repeat(300)}.enc`,
      '_manifest.json.enc',
      'x.txt',
      'a//b.enc',
    ];
    for (const storedPath of hostile) {
      const put = await serverB.putFile('alice', 'backup', storedPath, Buffer.from('evil'));
      assert.equal(put.status, 400, JSON.stringify(storedPath));
      assert.equal(put.body.error.code, 'PATH_INVALID', JSON.stringify(storedPath));
      const got = await serverB.getFile('alice', 'backup', storedPath);
      assert.equal(got.status, 400, JSON.stringify(storedPath));
    }
    const deleted = await serverB.deleteFiles('alice', 'backup', ['../../server-c/x.enc']);
    assert.equal(deleted.body.error.code, 'PATH_INVALID');
    const batch = await serverB.putBatch('alice', 'backup', [{ path: 'ok.enc', bytes: Buffer.from('fine') }, { path: '../escape.enc', bytes: Buffer.from('evil') }]);
    assert.equal(batch.body.error.code, 'PATH_INVALID');
    // names in the URL are checked by the schema
    for (const url of ['/api/sync/v1/shares/..%2F..%2Fetc/backup/files', '/api/sync/v1/shares/alice/.hidden/files', '/api/sync/v1/shares/Alice/backup/files']) {
      const refused = await serverB.request('GET', url);
      assert.ok(refused.status === 400 || refused.status === 404, `${url}: ${refused.status}`);
    }
    assert.deepEqual(await filesUnder(test.dataDir), before);
    await assert.rejects(stat('/tmp/evil.enc'));
  });

  it('never follows a symlink planted inside a share out of the tree', async () => {
    await writeFile(path.join(outside, 'secret.enc'), 'outside secret');
    await symlink(outside, path.join(shareDir(), 'evil'));
    await symlink(path.join(outside, 'secret.enc'), path.join(shareDir(), 'link.enc'));

    const put = await serverB.putFile('alice', 'backup', 'evil/x.enc', Buffer.from('escape'));
    assert.equal(put.status, 400);
    assert.equal(put.body.error.code, 'PATH_INVALID');
    const nested = await serverB.putFile('alice', 'backup', 'evil/deeper/x.enc', Buffer.from('escape'));
    assert.equal(nested.body.error.code, 'PATH_INVALID');
    const overLink = await serverB.putFile('alice', 'backup', 'link.enc', Buffer.from('replace'));
    assert.equal(overLink.body.error.code, 'PATH_INVALID');
    const batch = await serverB.putBatch('alice', 'backup', [{ path: 'evil/y.enc', bytes: Buffer.from('escape') }]);
    assert.equal(batch.body.error.code, 'PATH_INVALID');

    for (const storedPath of ['evil/secret.enc', 'link.enc']) {
      const got = await serverB.getFile('alice', 'backup', storedPath);
      assert.equal(got.status, 400, storedPath);
      assert.equal(got.bytes.includes(Buffer.from('outside secret')), false);
    }
    const deleted = await serverB.deleteFiles('alice', 'backup', ['evil/secret.enc']);
    assert.equal(deleted.status, 400);
    const listed = await serverB.listFiles('alice', 'backup');
    assert.equal(listed.body.files.some((file: { path: string }) => file.path.includes('secret') || file.path === 'link.enc'), false);

    assert.deepEqual(await readdir(outside), ['secret.enc']);
    assert.equal(await readFile(path.join(outside, 'secret.enc'), 'utf8'), 'outside secret');
    await rm(path.join(shareDir(), 'evil'));
    await rm(path.join(shareDir(), 'link.enc'));
  });

  it("keeps each source to its own folder: one source cannot read or list another's files", async () => {
    assert.equal((await serverC.getFile('alice', 'backup', 'photos/cat.jpg.enc')).status, 404);
    assert.equal((await serverC.getManifest('alice', 'backup')).status, 404);
    assert.deepEqual((await serverC.listFiles('alice', 'backup')).body, { files: [] });
    assert.deepEqual((await serverC.listShares()).body, { shares: [] });

    const bytes = Buffer.from('server-c data');
    assert.equal((await serverC.putFile('alice', 'backup', 'photos/cat.jpg.enc', bytes)).status, 204);
    assert.deepEqual(await readFile(path.join(incomingDir, 'server-c', 'alice', 'backup', 'photos', 'cat.jpg.enc')), bytes);
    assert.notDeepEqual((await serverB.getFile('alice', 'backup', 'photos/cat.jpg.enc')).bytes, bytes);
    assert.equal((await serverC.deleteFiles('alice', 'backup', ['videos/big.mov.enc'])).body.deleted, 0);
    assert.equal((await serverB.getFile('alice', 'backup', 'videos/big.mov.enc')).status, 200);
  });

  it('stores a batch of many files', async () => {
    const items = Array.from({ length: 500 }, (_, index) => ({ path: `batch/${index % 10}/${index}.enc`, bytes: randomBytes(4096) }));
    const stored = await serverB.putBatch('alice', 'backup', items);
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.body, { stored: 500 });
    for (const item of [items[0], items[250], items[499]]) {
      assert.deepEqual((await serverB.getFile('alice', 'backup', item?.path ?? '')).bytes, item?.bytes);
    }
    const listed = await serverB.listFiles('alice', 'backup');
    assert.equal(listed.body.files.filter((file: { path: string }) => file.path.startsWith('batch/')).length, 500);
  });

  it('stores nothing of a batch in which one file is damaged', async () => {
    const before = await filesUnder(shareDir());
    const items: { path: string; bytes: Buffer; ctSha256?: string }[] = Array.from({ length: 50 }, (_, index) => ({ path: `bad-batch/${index}.enc`, bytes: randomBytes(1000) }));
    const damaged = items[37];
    if (damaged) damaged.ctSha256 = sha256(Buffer.from('something else'));
    const refused = await serverB.putBatch('alice', 'backup', items);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'HASH_MISMATCH');
    assert.deepEqual(await filesUnder(shareDir()), before);

    const truncated = await serverB.request('POST', '/api/sync/v1/shares/alice/backup/batch', {
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 0, 0, 40, 123]),
    });
    assert.equal(truncated.status, 400);
    assert.deepEqual(await filesUnder(shareDir()), before);
  });

  it('deletes files, ignores missing ones and removes folders left empty', async () => {
    const paths = Array.from({ length: 50 }, (_, index) => `batch/${index % 10}/${index}.enc`).filter((p) => p.startsWith('batch/3/'));
    const deleted = await serverB.deleteFiles('alice', 'backup', [...paths, 'never/stored.enc']);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deleted, paths.length);
    const rest = Array.from({ length: 500 }, (_, index) => `batch/${index % 10}/${index}.enc`).filter((p) => p.startsWith('batch/3/'));
    await serverB.deleteFiles('alice', 'backup', rest);
    await assert.rejects(stat(path.join(shareDir(), 'batch', '3')), 'the emptied folder is gone');
    assert.ok((await stat(path.join(shareDir(), 'batch', '4'))).isDirectory());
  });

  it('shows the administrator what each source stores, with stats that follow every change', async () => {
    const overview = await admin.get('/api/admin/incoming');
    assert.equal(overview.status, 200);
    assert.equal(overview.body.peerCount, 2);
    const b = overview.body.sources.find((source: { name: string }) => source.name === 'server-b');
    const listed = (await serverB.listFiles('alice', 'backup')).body.files as { size: number }[];
    const manifestSize = (await stat(path.join(shareDir(), '_manifest.json.enc'))).size;
    assert.equal(b.fileCount, listed.length);
    assert.equal(b.bytesUsed, listed.reduce((total, file) => total + file.size, 0) + manifestSize);
    assert.equal(b.fingerprint, (await admin.get('/api/admin/incoming/server-b')).body.fingerprint);
    assert.ok(b.lastReceivedAt);
    assert.deepEqual(b.shares.map((share: { user: string; share: string }) => [share.user, share.share]), [['alice', 'backup']]);
    assert.equal(overview.body.fileCount, b.fileCount + 1);

    assert.equal((await admin.get('/api/admin/incoming/nobody')).status, 404);
    assert.equal((await test.client().get('/api/admin/incoming')).status, 401);
  });

  it("deletes a share's, then a source's backups from disk and from the stats", async () => {
    await serverB.putFile('bob', 'backup', 'x.enc', Buffer.from('bob'));
    const share = await admin.delete('/api/admin/incoming/server-b?user=alice&share=backup');
    assert.equal(share.status, 200);
    assert.ok(share.body.deletedFiles > 400);
    await assert.rejects(stat(shareDir()));
    assert.ok((await stat(path.join(incomingDir, 'server-b', 'bob', 'backup', 'x.enc'))).isFile());
    const after = (await admin.get('/api/admin/incoming/server-b')).body;
    assert.deepEqual(after.shares.map((row: { user: string }) => row.user), ['bob']);
    assert.equal(after.fileCount, 1);

    assert.equal((await admin.delete('/api/admin/incoming/server-b?share=backup')).status, 400);
    const source = await admin.delete('/api/admin/incoming/server-b');
    assert.deepEqual(source.body, { deletedFiles: 1, deletedBytes: 3 });
    await assert.rejects(stat(path.join(incomingDir, 'server-b')));
    const overview = (await admin.get('/api/admin/incoming')).body;
    assert.equal(overview.peerCount, 1);
    // the binding stays: the source is known, with nothing stored
    assert.equal(overview.sources.find((row: { name: string }) => row.name === 'server-b').fileCount, 0);
    assert.deepEqual((await serverB.listShares()).body, { shares: [] });
  });

  it("refuses the writes of a run begun before the share's backups were deleted (409 BACKUP_RESET_ON_PEER); older sources are not checked", async () => {
    const base = '/api/sync/v1/shares/carol/backup';
    const incarnationOf = async () => {
      const answer = await serverC.getManifest('carol', 'backup');
      const value = answer.headers['x-anemone-share-incarnation'];
      assert.equal(typeof value, 'string');
      return { status: answer.status, incarnation: value as string };
    };
    const putFile = (storedPath: string, bytes: Buffer, incarnation?: string) =>
      serverC.request('PUT', `${base}/file?path=${storedPath}`, {
        headers: { 'content-type': 'application/octet-stream', 'x-anemone-ct-sha256': sha256(bytes), ...(incarnation ? { 'x-anemone-share-incarnation': incarnation } : {}) },
        body: bytes,
      });
    const putManifest = (route: 'manifest' | 'manifest/delta?generation=2', bytes: Buffer, incarnation: string) =>
      serverC.request('PUT', `${base}/${route}`, {
        headers: { 'content-type': 'application/octet-stream', 'x-anemone-ct-sha256': sha256(bytes), 'x-anemone-share-incarnation': incarnation },
        body: bytes,
      });
    const carolDir = path.join(incomingDir, 'server-c', 'carol', 'backup');

    const started = await incarnationOf();
    assert.equal(started.status, 404);
    assert.equal((await putFile('a.enc', Buffer.from('a'), started.incarnation)).status, 204);
    assert.equal((await putManifest('manifest', Buffer.from('manifest 1'), started.incarnation)).status, 204);
    // another user's deletion leaves carol's share as it was
    await serverC.putFile('dave', 'backup', 'd.enc', Buffer.from('d'));
    assert.equal((await admin.delete('/api/admin/incoming/server-c?user=dave')).status, 200);
    assert.equal((await incarnationOf()).incarnation, started.incarnation);

    assert.equal((await admin.delete('/api/admin/incoming/server-c?user=carol')).status, 200);
    const renewed = await incarnationOf();
    assert.equal(renewed.status, 404);
    assert.ok(Number(renewed.incarnation) > Number(started.incarnation), `${renewed.incarnation} after ${started.incarnation}`);

    const staleFile = await putFile('b.enc', Buffer.from('b'), started.incarnation);
    assert.equal(staleFile.status, 409);
    assert.equal(staleFile.body.error.code, 'BACKUP_RESET_ON_PEER');
    const staleManifest = await putManifest('manifest', Buffer.from('manifest 2'), started.incarnation);
    assert.equal(staleManifest.status, 409);
    assert.equal(staleManifest.body.error.code, 'BACKUP_RESET_ON_PEER');
    assert.deepEqual(await filesUnder(carolDir), []);
    // a delta needs its base, whatever the incarnation
    const delta = await putManifest('manifest/delta?generation=2', Buffer.from('delta'), renewed.incarnation);
    assert.equal(delta.status, 404);
    assert.equal(delta.body.error.code, 'NOT_FOUND');

    assert.equal((await putFile('b.enc', Buffer.from('b'), renewed.incarnation)).status, 204);
    // a source that sends no incarnation (an older version) is not checked
    assert.equal((await putFile('c.enc', Buffer.from('c'))).status, 204);
    assert.deepEqual(await filesUnder(carolDir), ['b.enc', 'c.enc']);
  });

  it('answers every protocol route only within a session', async () => {
    const stranger = new PeerTlsClient(test.url, { ca: test.server.identity.certPem, identity: await makeSourceIdentity() });
    try {
      for (const [method, url] of [
        ['GET', '/api/sync/v1/shares'],
        ['GET', '/api/sync/v1/shares/alice/backup/manifest'],
        ['PUT', '/api/sync/v1/shares/alice/backup/manifest'],
        ['PUT', '/api/sync/v1/shares/alice/backup/file?path=a.enc'],
        ['POST', '/api/sync/v1/shares/alice/backup/batch'],
        ['GET', '/api/sync/v1/shares/alice/backup/file?path=a.enc'],
        ['GET', '/api/sync/v1/shares/alice/backup/files'],
        ['POST', '/api/sync/v1/shares/alice/backup/delete'],
      ] as const) {
        const refused = await stranger.request(method, url, method === 'GET' ? {} : { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from('x') });
        assert.equal(refused.status, 401, `${method} ${url}`);
        assert.equal(refused.body.error.code, 'SESSION_INVALID');
      }
    } finally {
      await stranger.close();
    }
  });
});
