import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { FileStat, WebDAVClient } from 'webdav';
import { basicAuthorization, davClient, rawDav } from '../helpers/dav-client.js';
import { independentDecrypt, independentManifest } from '../helpers/independent-decrypt.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, storedFiles, syncAndWait } from '../helpers/sync-cluster.js';

const ALICE = basicAuthorization('alice', 'alice password');

describe('WebDAV at /dav/: each user their own two shares', () => {
  let server: ClusterServer;
  let alice: WebDAVClient;
  let aliceShares: string;
  let bobShares: string;

  before(async () => {
    server = await startNamedServer('dav-a');
    await createUser(server, 'alice');
    await createUser(server, 'bob');
    alice = davClient(server.test, 'alice', 'alice password');
    aliceShares = path.join(server.test.dataDir, 'shares', 'alice');
    bobShares = path.join(server.test.dataDir, 'shares', 'bob');
    await writeFile(path.join(bobShares, 'backup', 'secret.txt'), 'bob only');
  });
  after(() => server.test.stop());

  it('shows exactly backup/ and data/ at the root', async () => {
    assert.deepEqual(await listing(alice, '/'), ['backup/', 'data/']);
  });

  it('streams a PUT to disk and a GET back, byte for byte', async () => {
    const content = randomBytes(5 * 1024 * 1024 + 17);
    const pieces = Readable.from([content.subarray(0, 1 << 20), content.subarray(1 << 20)]);
    assert.equal(await alice.putFileContents('/backup/big.bin', pieces, { contentLength: content.length }), true);
    assert.equal(sha256(await readFile(path.join(aliceShares, 'backup', 'big.bin'))), sha256(content));
    assert.equal(sha256((await alice.getFileContents('/backup/big.bin')) as Buffer), sha256(content));
    // nothing of the upload's temporary file is left beside it
    assert.deepEqual(await readdir(path.join(aliceShares, 'backup')), ['big.bin']);
  });

  it('keeps memory flat while a large upload streams to disk', async () => {
    const size = 256 * 1024 * 1024;
    const piece = randomBytes(1024 * 1024);
    let peakBuffers = 0;
    const baseline = process.memoryUsage().arrayBuffers;
    const sampler = setInterval(() => (peakBuffers = Math.max(peakBuffers, process.memoryUsage().arrayBuffers - baseline)), 20);
    const url = new URL(server.test.url);
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = httpsRequest(
        { host: url.hostname, port: url.port, method: 'PUT', path: '/dav/data/large.bin', headers: { authorization: ALICE, 'content-length': String(size) }, ca: server.test.server.identity.certPem, agent: false },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      outgoing.on('error', reject);
      // the same MiB again and again, sent as fast as the server takes it
      let sent = 0;
      const sendMore = () => {
        while (sent < size) {
          sent += piece.length;
          if (!outgoing.write(piece)) return void outgoing.once('drain', sendMore);
        }
        outgoing.end();
      };
      sendMore();
    });
    clearInterval(sampler);
    assert.equal(status, 201);
    assert.equal((await lstat(path.join(aliceShares, 'data', 'large.bin'))).size, size);
    // whole-file buffering would hold all 256 MiB; streaming holds a few pieces, and garbage not yet collected
    assert.ok(peakBuffers < 96 * 1024 * 1024, `buffers grew by ${Math.round(peakBuffers / 1024 / 1024)} MiB for a ${size / 1024 / 1024} MiB upload`);
    await alice.deleteFile('/data/large.bin');
  });

  it('takes an upload of unannounced length (chunked, as macOS Finder sends)', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 5);
    const url = new URL(server.test.url);
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = httpsRequest(
        { host: url.hostname, port: url.port, method: 'PUT', path: '/dav/data/chunked.bin', headers: { authorization: ALICE, 'transfer-encoding': 'chunked' }, ca: server.test.server.identity.certPem, agent: false },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      outgoing.on('error', reject);
      outgoing.write(content.subarray(0, 1_000_000));
      outgoing.end(content.subarray(1_000_000));
    });
    assert.equal(status, 201);
    assert.equal(sha256(await readFile(path.join(aliceShares, 'data', 'chunked.bin'))), sha256(content));
    await alice.deleteFile('/data/chunked.bin');
  });

  it('makes folders, copies, moves (between the two shares too) and deletes', async () => {
    await alice.createDirectory('/data/photos');
    await alice.putFileContents('/data/photos/cat.jpg', 'meow');
    await alice.copyFile('/data/photos/cat.jpg', '/data/photos/cat copy.jpg');
    await alice.moveFile('/data/photos', '/backup/photos');
    assert.deepEqual(await listing(alice, '/backup/photos'), ['cat copy.jpg', 'cat.jpg']);
    assert.equal(await readFile(path.join(aliceShares, 'backup', 'photos', 'cat copy.jpg'), 'utf8'), 'meow');
    assert.equal(await lstat(path.join(aliceShares, 'data', 'photos')).catch(() => 'gone'), 'gone');
    await alice.deleteFile('/backup/photos/cat copy.jpg');
    await alice.deleteFile('/backup/photos');
    assert.equal(await lstat(path.join(aliceShares, 'backup', 'photos')).catch(() => 'gone'), 'gone');
  });

  it('refuses to delete, move or write beside the two shares', async () => {
    assert.equal((await rawDav(server.test, { method: 'DELETE', path: '/dav/backup', headers: { authorization: ALICE } })).status, 403);
    const moved = await rawDav(server.test, { method: 'MOVE', path: '/dav/data/', headers: { authorization: ALICE, destination: '/dav/backup/data' } });
    assert.equal(moved.status, 403);
    assert.equal((await rawDav(server.test, { method: 'PUT', path: '/dav/loose.txt', headers: { authorization: ALICE }, body: 'x' })).status, 403);
    assert.equal((await rawDav(server.test, { method: 'MKCOL', path: '/dav/music', headers: { authorization: ALICE } })).status, 403);
    assert.deepEqual((await readdir(aliceShares)).sort(), ['backup', 'data']);
  });

  it('takes and releases a LOCK (class 2, as Windows needs): a second exclusive lock is refused (423) until UNLOCK', async () => {
    await alice.putFileContents('/data/notes.txt', 'v1');
    const lock = await alice.lock('/data/notes.txt');
    assert.ok(lock.token);
    const options = await rawDav(server.test, { method: 'OPTIONS', path: '/dav/data/notes.txt', headers: { authorization: ALICE } });
    assert.match(String(options.headers.dav), /\b2\b/);
    await assert.rejects(alice.lock('/data/notes.txt'), /423/);
    await alice.putFileContents('/data/notes.txt', 'v2', { headers: { If: `(<${lock.token}>)` } });
    await alice.unlock('/data/notes.txt', lock.token);
    const again = await alice.lock('/data/notes.txt');
    await alice.unlock('/data/notes.txt', again.token);
    assert.equal(await readFile(path.join(aliceShares, 'data', 'notes.txt'), 'utf8'), 'v2');
  });

  it("never shows or reaches another user's files, whatever the path", async () => {
    const tricks = [
      '/dav/../bob/backup/secret.txt',
      '/dav/%2e%2e/bob/backup/secret.txt',
      '/dav/backup/..%2F..%2F..%2Fbob%2Fbackup%2Fsecret.txt',
      '/dav/backup/%2e%2e%2f%2e%2e%2f%2e%2e%2fbob/backup/secret.txt',
      '/dav/..%5C..%5Cbob%5Cbackup%5Csecret.txt',
      '/dav/backup/secret.txt%00',
      '/dav//bob/backup/secret.txt',
      `/dav/${encodeURIComponent(bobShares)}/backup/secret.txt`,
      '/dav/bob/backup/secret.txt',
    ];
    for (const trick of tricks) {
      const response = await rawDav(server.test, { method: 'GET', path: trick, headers: { authorization: ALICE } });
      assert.notEqual(response.status, 200, trick);
      assert.doesNotMatch(response.body, /bob only/, trick);
    }
    assert.equal((await rawDav(server.test, { method: 'GET', path: '/dav/backup/%E0%A4%A', headers: { authorization: ALICE } })).status, 400);
    const listed = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/../', headers: { authorization: ALICE, depth: '1' } });
    assert.doesNotMatch(listed.body, /bob/);
    // a MOVE or COPY may not name a target outside alice's own /dav/
    await alice.putFileContents('/backup/mine.txt', 'alice');
    for (const destination of ['/dav/../bob/backup/stolen.txt', '/dav/backup/..%2F..%2F..%2Fbob%2Fbackup%2Fstolen.txt', '/api/stolen.txt', `${server.test.url}/somewhere/stolen.txt`]) {
      const copied = await rawDav(server.test, { method: 'COPY', path: '/dav/backup/mine.txt', headers: { authorization: ALICE, destination } });
      assert.ok(copied.status >= 400, `${destination}: ${copied.status}`);
    }
    const malformed = await rawDav(server.test, { method: 'MOVE', path: '/dav/backup/mine.txt', headers: { authorization: ALICE, destination: '/dav/backup/%E0%A4%A' } });
    assert.equal(malformed.status, 400);
    assert.deepEqual(await readdir(path.join(bobShares, 'backup')), ['secret.txt']);
  });

  it('does not follow a symbolic link planted in a share, nor hang on a FIFO', async () => {
    const backup = path.join(aliceShares, 'backup');
    await symlink(path.join(bobShares, 'backup', 'secret.txt'), path.join(backup, 'link-to-bob.txt'));
    await symlink(path.join(bobShares, 'backup'), path.join(backup, 'bob-folder'));
    execFileSync('mkfifo', [path.join(backup, 'pipe')]);
    const names = await listing(alice, '/backup');
    for (const hidden of ['link-to-bob.txt', 'bob-folder/', 'pipe']) assert.ok(!names.includes(hidden), `${hidden} listed: ${names.join(', ')}`);
    for (const target of ['/dav/backup/link-to-bob.txt', '/dav/backup/bob-folder/secret.txt', '/dav/backup/pipe']) {
      const started = Date.now();
      const response = await rawDav(server.test, { method: 'GET', path: target, headers: { authorization: ALICE } });
      assert.equal(response.status, 404, target);
      assert.ok(Date.now() - started < 5_000, `${target} took ${Date.now() - started} ms`);
    }
    const throughLink = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/backup/bob-folder/', headers: { authorization: ALICE, depth: '1' } });
    assert.equal(throughLink.status, 404);
    const written = await rawDav(server.test, { method: 'PUT', path: '/dav/backup/bob-folder/planted.txt', headers: { authorization: ALICE }, body: 'x' });
    assert.ok(written.status >= 400, `PUT through a linked folder: ${written.status}`);
    const overLink = await rawDav(server.test, { method: 'PUT', path: '/dav/backup/link-to-bob.txt', headers: { authorization: ALICE }, body: 'overwrite' });
    assert.ok(overLink.status >= 400, `PUT over a link: ${overLink.status}`);
    assert.deepEqual(await readdir(path.join(bobShares, 'backup')), ['secret.txt']);
    assert.equal(await readFile(path.join(bobShares, 'backup', 'secret.txt'), 'utf8'), 'bob only');
  });

  it('hides and refuses the files a web upload or a restore is still writing, as it does its own', async () => {
    const data = path.join(aliceShares, 'data');
    // as place-upload.ts and write-restored-file.ts name them beside their target while they write
    const unfinished = { '.cat.jpg.anemone-upload-0123456789ab': 'half an upload', '.report.pdf.anemone-restore-0123456789ab': 'half a restore' };
    for (const [name, content] of Object.entries(unfinished)) await writeFile(path.join(data, name), content);
    await writeFile(path.join(data, '.DS_Store'), 'a client wrote it');
    const names = await listing(alice, '/data');
    for (const name of Object.keys(unfinished)) assert.ok(!names.includes(name), `${name} listed: ${names.join(', ')}`);
    assert.ok(names.includes('.DS_Store'), 'an ordinary hidden name is still shown');
    for (const name of Object.keys(unfinished)) {
      const target = `/dav/data/${encodeURIComponent(name)}`;
      assert.equal((await rawDav(server.test, { method: 'GET', path: target, headers: { authorization: ALICE } })).status, 404, `GET ${name}`);
      assert.equal((await rawDav(server.test, { method: 'PUT', path: target, headers: { authorization: ALICE }, body: 'replaced' })).status, 403, `PUT ${name}`);
      assert.equal((await rawDav(server.test, { method: 'DELETE', path: target, headers: { authorization: ALICE } })).status, 403, `DELETE ${name}`);
    }
    for (const [name, content] of Object.entries(unfinished)) assert.equal(await readFile(path.join(data, name), 'utf8'), content, `${name} untouched`);
    for (const name of [...Object.keys(unfinished), '.DS_Store']) await rm(path.join(data, name));
  });

  it('follows a link at a share folder itself (a share on another disk), as the sync does', async () => {
    const otherDisk = path.join(server.test.dataDir, 'other-disk');
    await mkdir(otherDisk);
    await writeFile(path.join(otherDisk, 'on-the-other-disk.txt'), 'elsewhere');
    await rm(path.join(bobShares, 'data'), { recursive: true });
    await symlink(otherDisk, path.join(bobShares, 'data'));
    const bob = davClient(server.test, 'bob', 'bob password');
    assert.deepEqual(await listing(bob, '/data'), ['on-the-other-disk.txt']);
    assert.equal(await bob.getFileContents('/data/on-the-other-disk.txt', { format: 'text' }), 'elsewhere');
    await bob.putFileContents('/data/new.txt', 'new');
    assert.equal(await readFile(path.join(otherDisk, 'new.txt'), 'utf8'), 'new');
  });

  it('answers Windows\' probe of the root, and refuses what it would have to hold whole: Depth infinity, a large XML body', async () => {
    const probe = await rawDav(server.test, { method: 'OPTIONS', path: '/' });
    assert.equal(probe.status, 200);
    assert.equal(probe.headers.dav, '1,2');
    const deep = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { authorization: ALICE, depth: 'infinity' } });
    assert.equal(deep.status, 403);
    const large = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { authorization: ALICE, depth: '1', 'content-length': String(2 * 1024 * 1024) } });
    assert.equal(large.status, 413);
  });

  it('leaves nothing behind when an upload is cut half way', async () => {
    const url = new URL(server.test.url);
    await new Promise<void>((resolve) => {
      const outgoing = httpsRequest({
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: '/dav/data/cut.bin',
        headers: { authorization: ALICE, 'content-length': String(4 * 1024 * 1024) },
        ca: server.test.server.identity.certPem,
        agent: false,
      });
      outgoing.on('error', () => resolve());
      outgoing.write(randomBytes(1024 * 1024), () => setTimeout(() => outgoing.destroy(), 300));
      outgoing.on('close', () => resolve());
    });
    const dataFolder = path.join(aliceShares, 'data');
    const deadline = Date.now() + 5_000;
    while ((await readdir(dataFolder)).some((name) => name.startsWith('.anemone-dav-')) && Date.now() < deadline) await delay(50);
    assert.deepEqual((await readdir(dataFolder)).filter((name) => name.startsWith('.') || name === 'cut.bin'), []);
  });
});

describe('WebDAV sign-in: HTTP Basic only, checked like the login', () => {
  let server: ClusterServer;

  before(async () => {
    server = await startNamedServer('dav-b');
    await createUser(server, 'carol');
  });
  after(() => server.test.stop());

  it('asks for Basic with the realm and charset, and answers 401 to a wrong password', async () => {
    const none = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0' }, localAddress: '127.0.0.21' });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="Anemone", charset="UTF-8"');
    const wrong = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: basicAuthorization('carol', 'nope') }, localAddress: '127.0.0.21' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['www-authenticate'], 'Basic realm="Anemone", charset="UTF-8"');
    const right = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: basicAuthorization('carol', 'carol password') }, localAddress: '127.0.0.21' });
    assert.equal(right.status, 207);
    assert.equal(right.headers['www-authenticate'], undefined);
    assert.equal(right.headers['access-control-allow-origin'], undefined);
    assert.match(String(right.headers['content-security-policy']), /sandbox/);
  });

  it('does not take a session cookie alone', async () => {
    const { client } = await createUser(server, 'dave');
    // the signed-in client's cookie works for the API…
    assert.equal((await client.get('/api/auth/me')).status, 200);
    // …but not for /dav/ without Basic
    const cookie = await client.request('PROPFIND', '/dav/', undefined, { depth: '0' });
    assert.equal(cookie.status, 401);
  });

  it('stops accepting a password as soon as it is changed, although it was remembered', async () => {
    const { client } = await createUser(server, 'erin');
    const old = basicAuthorization('erin', 'erin password');
    assert.equal((await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: old }, localAddress: '127.0.0.22' })).status, 207);
    const changed = await client.post('/api/auth/password', { currentPassword: 'erin password', newPassword: 'erin new password' });
    assert.equal(changed.status, 200);
    assert.equal((await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: old }, localAddress: '127.0.0.22' })).status, 401);
    const renewed = basicAuthorization('erin', 'erin new password');
    assert.equal((await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: renewed }, localAddress: '127.0.0.22' })).status, 207);
  });

  it('stops accepting a deleted user at once', async () => {
    await createUser(server, 'frank');
    const frank = basicAuthorization('frank', 'frank password');
    assert.equal((await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: frank }, localAddress: '127.0.0.23' })).status, 207);
    const users = (await server.admin.get('/api/admin/users')).body.users as { id: number; username: string }[];
    const id = users.find((user) => user.username === 'frank')?.id;
    assert.equal((await server.admin.delete(`/api/admin/users/${id}`)).status, 204);
    assert.equal((await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: frank }, localAddress: '127.0.0.23' })).status, 401);
  });

  it('answers 429 with Retry-After after repeated wrong passwords, while a remembered password still works', async () => {
    const carol = basicAuthorization('carol', 'carol password');
    assert.equal((await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: carol }, localAddress: '127.0.0.24' })).status, 207);
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let attempt = 0; attempt < 12; attempt++) {
      const response = await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: basicAuthorization('carol', `guess ${attempt}`) }, localAddress: '127.0.0.24' });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = String(response.headers['retry-after']);
    }
    assert.deepEqual(statuses.slice(0, 10), Array<number>(10).fill(401));
    assert.deepEqual(statuses.slice(10), [429, 429]);
    assert.match(retryAfter ?? '', /^\d+$/);
    // carol's own, already verified, is not hashed again and not counted
    assert.equal((await rawDav(server.test, { method: 'PROPFIND', path: '/dav/', headers: { depth: '0', authorization: carol }, localAddress: '127.0.0.24' })).status, 207);
  });
});

describe('WebDAV and the sync', () => {
  let source: ClusterServer;
  let peer: ClusterServer;

  before(async () => {
    [source, peer] = await Promise.all([startNamedServer('dav-source'), startNamedServer('dav-peer', { acceptPassword: 'password of the peer' })]);
    await pairPeer(source, peer, 'password of the peer');
  });
  after(() => Promise.all([source.test.stop(), peer.test.stop()]));

  it('sends a file uploaded over WebDAV to the peer with the next sync, and nothing of data/', async () => {
    const alice = await createUser(source, 'alice');
    const dav = davClient(source.test, 'alice', 'alice password');
    const photo = randomBytes(300_000);
    await dav.createDirectory('/backup/photos');
    await dav.putFileContents('/backup/photos/cat.jpg', photo);
    await dav.putFileContents('/data/not-synced.txt', 'stays here');
    const logs = await syncAndWait(alice.client, source.admin, alice.backupShareId);
    assert.deepEqual(logs.map((log) => [log.status, log.fileCount]), [['success', 1]]);
    const stored = await storedFiles(path.join(peer.test.dataDir, 'incoming', 'dav-source', 'alice', 'backup'));
    const context = { sourceServer: 'dav-source', user: 'alice', share: 'backup' };
    assert.deepEqual(Object.keys(independentManifest(alice.key, context, stored).files), ['photos/cat.jpg']);
    const ciphertext = stored.get('photos/cat.jpg.enc');
    assert.ok(ciphertext);
    assert.ok(independentDecrypt(alice.key, { ...context, relPath: 'photos/cat.jpg' }, ciphertext).equals(photo));
  });
});

describe('WebDAV on a full disk', () => {
  let server: ClusterServer;
  let dataShare: string;
  let mounted = false;

  before(async () => {
    server = await startNamedServer('dav-full');
    await createUser(server, 'alice');
    dataShare = path.join(server.test.dataDir, 'shares', 'alice', 'data');
    // a real small disk: a 1 MiB tmpfs over alice's data share (needs root and mount(2), as on the project's CI machine)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dataShare], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  after(async () => {
    if (mounted) execFileSync('umount', [dataShare]);
    await server.test.stop();
  });

  it('answers 507 when an upload does not fit, keeps the file that was there, and leaves no partial file', async (t) => {
    if (!mounted) return t.skip('mounting a small tmpfs needs root');
    const alice = davClient(server.test, 'alice', 'alice password');
    await alice.putFileContents('/data/kept.txt', 'the version before');
    const tooBig = await rawDav(server.test, {
      method: 'PUT',
      path: '/dav/data/kept.txt',
      headers: { authorization: ALICE },
      body: randomBytes(3 * 1024 * 1024),
    }).catch((error: unknown) => ({ status: -1, error }));
    assert.equal(tooBig.status, 507);
    assert.equal(await readFile(path.join(dataShare, 'kept.txt'), 'utf8'), 'the version before');
    assert.deepEqual(await readdir(dataShare), ['kept.txt']);
  });
});

/** A folder's entries, folders with a trailing slash, sorted. */
async function listing(client: WebDAVClient, folder: string): Promise<string[]> {
  const entries = (await client.getDirectoryContents(folder)) as FileStat[];
  return entries.map((entry) => `${entry.basename}${entry.type === 'directory' ? '/' : ''}`).sort();
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
