import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fetch } from 'undici';
import { encryptBuffer, fileInfo } from '../../src/crypto/index.js';
import { receiverStores } from '../helpers/receiver-stores.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Whole seconds, so restored times compare exactly. */
const MTIME = { base: Date.UTC(2024, 0, 2, 3, 4, 5) };

interface Raw {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** A request whose answer is read as bytes; rejects when the server aborts it mid-body. */
async function fetchRaw(client: ApiClient, method: string, urlPath: string, body?: unknown): Promise<Raw> {
  const internals = client as any;
  const response = await fetch(new URL(urlPath, client.baseUrl), {
    method,
    headers: { ...(internals.cookie ? { cookie: internals.cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    dispatcher: internals.agent,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers as unknown as Headers, body: bytes };
}

/** A download the server aborted: never a complete 200. */
async function assertAborted(download: Promise<Raw>, what: string): Promise<void> {
  const outcome = await download.then(
    (raw) => raw,
    (error: unknown) => error as Error,
  );
  if (outcome instanceof Error) return;
  assert.notEqual(outcome.status, 200, `${what} must not complete: got ${outcome.status} with ${outcome.body.length} bytes`);
}

/** relPath → SHA-256 and modification time of every file under `root`. */
async function tree(root: string): Promise<Map<string, { sha256: string; mtimeMs: number }>> {
  const found = new Map<string, { sha256: string; mtimeMs: number }>();
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else found.set(path.relative(root, full).split(path.sep).join('/'), { sha256: sha256(await readFile(full)), mtimeMs: Math.round((await stat(full)).mtimeMs) });
    }
  };
  await walk(root);
  return found;
}

async function hiddenLeftovers(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.name.startsWith('.')) found.push(path.join(dir, entry.name));
      else if (entry.isDirectory()) await walk(path.join(dir, entry.name));
    }
  };
  await walk(root);
  return found;
}

async function waitForJob(client: ApiClient, url: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await client.get(url);
    assert.equal(job.status, 200, JSON.stringify(job.body));
    if (job.body.status !== 'running') return job.body;
    if (Date.now() > deadline) throw new Error(`restore job still running: ${JSON.stringify(job.body)}`);
    await delay(50);
  }
}

async function writeWithTimes(root: string, files: Record<string, Buffer>): Promise<void> {
  await writeFiles(root, files);
  let offset = 0;
  for (const relPath of Object.keys(files)) {
    const when = new Date(MTIME.base + offset++ * 86_400_000);
    await utimes(path.join(root, ...relPath.split('/')), when, when);
  }
}

async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function localDate(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/** The peer keeps the backups on its disk, then in a bucket: every restore is the same, byte for byte. */
for (const receiver of receiverStores()) describe(`restore from a peer, through the API of real servers (peer store: ${receiver.name})`, () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let bob: { client: ApiClient; key: Buffer; backupShareId: number };
  let peerB: number;
  let aliceBackup: string;
  let bobBackup: string;
  let scratch: string;

  const aliceFiles: Record<string, Buffer> = {
    'docs/readme.txt': Buffer.from('read me first\n'),
    'docs/deep/nested/note.md': Buffer.from('# a note\n'),
    'docs/deep/other.bin': randomBytes(70_000),
    'photos/été/café crème.jpg': randomBytes(150_000),
    'big/three-mib.bin': randomBytes(3 * 1024 * 1024 + 5),
    'empty.txt': Buffer.alloc(0),
  };
  const bobFiles: Record<string, Buffer> = {
    'letter.txt': Buffer.from('dear alice'),
    'music/song.bin': randomBytes(20_000),
  };
  let aliceTree: Map<string, { sha256: string; mtimeMs: number }>;
  let bobTree: Map<string, { sha256: string; mtimeMs: number }>;

  const base = () => `/api/restore/${peerB}/backup`;
  const q = (relPath: string) => encodeURIComponent(relPath);

  before(async () => {
    const receiverConfig = await receiver.start();
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b', config: receiverConfig })]);
    alice = await createUser(a, 'alice');
    bob = await createUser(a, 'bob');
    peerB = await pairPeer(a, b, 'password of b');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    bobBackup = path.join(a.test.dataDir, 'shares', 'bob', 'backup');
    await writeWithTimes(aliceBackup, aliceFiles);
    await writeWithTimes(bobBackup, bobFiles);
    aliceTree = await tree(aliceBackup);
    bobTree = await tree(bobBackup);
    for (const [who, shareId] of [
      [alice, alice.backupShareId],
      [bob, bob.backupShareId],
    ] as const) {
      const logs = await syncAndWait(who.client, a.admin, shareId);
      for (const log of logs) assert.equal(log.status, 'success', JSON.stringify(log));
    }
    scratch = await mkdtemp(path.join(os.tmpdir(), 'anemone-restore-test-'));
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
    await receiver.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('lists the peers holding my backup, and a peer that cannot be reached with the reason', async () => {
    const down = await a.admin.post('/api/admin/peers', { name: 'gone', address: '127.0.0.1', port: await closedPort(), enabled: true });
    await a.admin.request('PATCH', `/api/admin/peers/${down.body.id}`, { fingerprint: b.test.server.identity.fingerprint });
    try {
      const sources = await alice.client.get('/api/restore/sources');
      assert.equal(sources.status, 200, JSON.stringify(sources.body));
      const fromB = sources.body.sources.filter((source: any) => source.peerId === peerB);
      assert.deepEqual(fromB.map((source: any) => source.share), ['backup']);
      assert.equal(fromB[0].peerName, 'server-b');
      assert.ok(fromB[0].fileCount >= Object.keys(aliceFiles).length, JSON.stringify(fromB[0]));
      assert.ok(fromB[0].bytesUsed > 3 * 1024 * 1024);
      assert.ok(fromB[0].lastSyncAt && Date.parse(fromB[0].lastSyncAt) <= Date.now());
      const unreachable = sources.body.sources.find((source: any) => source.peerId === down.body.id);
      assert.ok(unreachable?.error, JSON.stringify(sources.body));
      assert.equal(unreachable.error.code, 'RESTORE_PEER_FAILED');
      assert.match(unreachable.error.message, /refused/i);
      assert.ok(unreachable.error.hint);
    } finally {
      await a.admin.delete(`/api/admin/peers/${down.body.id}`);
    }
  });

  it('browses the root and a subfolder with names, sizes and dates of the source', async () => {
    const root = await alice.client.get(`${base()}/files`);
    assert.equal(root.status, 200, JSON.stringify(root.body));
    assert.deepEqual(
      root.body.folders.map((folder: any) => [folder.name, folder.fileCount, folder.size]),
      [
        ['big', 1, aliceFiles['big/three-mib.bin']?.length],
        ['docs', 3, 14 + 9 + 70_000],
        ['photos', 1, 150_000],
      ],
    );
    assert.deepEqual(root.body.files, [
      { name: 'empty.txt', path: 'empty.txt', size: 0, mtime: new Date(aliceTree.get('empty.txt')?.mtimeMs as number).toISOString(), sha256: sha256(Buffer.alloc(0)) },
    ]);

    const deep = await alice.client.get(`${base()}/files?path=${q('docs/deep')}`);
    assert.equal(deep.status, 200);
    assert.deepEqual(deep.body.folders, [{ name: 'nested', path: 'docs/deep/nested', fileCount: 1, size: 9 }]);
    assert.deepEqual(
      deep.body.files.map((file: any) => [file.path, file.size, Date.parse(file.mtime), file.sha256]),
      [['docs/deep/other.bin', 70_000, aliceTree.get('docs/deep/other.bin')?.mtimeMs, aliceTree.get('docs/deep/other.bin')?.sha256]],
    );

    const unicode = await alice.client.get(`${base()}/files?path=${q('photos/été')}`);
    assert.equal(unicode.body.files[0].name, 'café crème.jpg');

    const missing = await alice.client.get(`${base()}/files?path=nowhere`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'RESTORE_NOT_FOUND');
  });

  it('downloads single files decrypted, byte for byte, with their name', async () => {
    for (const relPath of ['docs/readme.txt', 'photos/été/café crème.jpg', 'big/three-mib.bin', 'empty.txt']) {
      const raw = await fetchRaw(alice.client, 'GET', `${base()}/file?path=${q(relPath)}`);
      assert.equal(raw.status, 200, `${relPath}: ${raw.body.toString().slice(0, 200)}`);
      assert.ok(raw.body.equals(aliceFiles[relPath] as Buffer), `${relPath} comes back identical`);
      assert.equal(raw.headers.get('content-length'), String(aliceFiles[relPath]?.length));
    }
    const named = await fetchRaw(alice.client, 'GET', `${base()}/file?path=${q('photos/été/café crème.jpg')}`);
    assert.match(named.headers.get('content-disposition') ?? '', /^attachment; filename="caf_ cr_me\.jpg"; filename\*=UTF-8''caf%C3%A9%20cr%C3%A8me\.jpg$/);

    const nothing = await alice.client.get(`${base()}/file?path=docs`);
    assert.equal(nothing.status, 404);
  });

  it('streams a folder as a ZIP that unzips to the right bytes and times', async () => {
    const raw = await fetchRaw(alice.client, 'POST', `${base()}/zip`, { paths: ['docs', 'photos', 'empty.txt'] });
    assert.equal(raw.status, 200, raw.body.toString().slice(0, 300));
    assert.equal(raw.headers.get('content-type'), 'application/zip');
    assert.equal(raw.headers.get('content-length'), String(raw.body.length), 'the exact size is announced');
    const zipPath = path.join(scratch, 'docs.zip');
    const out = path.join(scratch, 'unzipped');
    await writeFile(zipPath, raw.body);
    execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zipPath, out]);
    const unzipped = await tree(out);
    const expected = Object.keys(aliceFiles).filter((relPath) => !relPath.startsWith('big/')).sort();
    assert.deepEqual([...unzipped.keys()].sort(), expected);
    for (const relPath of expected) assert.equal(unzipped.get(relPath)?.sha256, aliceTree.get(relPath)?.sha256, relPath);
    const listing = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(f"{i.filename}\\t{i.date_time}" for i in zipfile.ZipFile(sys.argv[1]).infolist()))', zipPath]).toString();
    assert.match(listing, /docs\/readme\.txt\t\(2024, 1, /);

    const unknown = await alice.client.post(`${base()}/zip`, { paths: ['docs', 'nope'] });
    assert.equal(unknown.status, 404);
  });

  it('takes the ZIP as a same-origin HTML form too (paths as a JSON field), so the browser can download it itself', async () => {
    const internals = alice.client as any;
    const post = (form: string, origin?: string) =>
      fetch(new URL(`${base()}/zip`, alice.client.baseUrl), {
        method: 'POST',
        headers: { cookie: internals.cookie, 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
        body: form,
        dispatcher: internals.agent,
      });
    const sameOrigin = new URL(alice.client.baseUrl).origin;
    const form = new URLSearchParams({ paths: JSON.stringify(['docs', 'empty.txt']) }).toString();
    const zip = await post(form, sameOrigin);
    assert.equal(zip.status, 200);
    assert.equal(zip.headers.get('content-type'), 'application/zip');
    assert.match(zip.headers.get('content-disposition') ?? '', /^attachment/);
    const bytes = Buffer.from(await zip.arrayBuffer());
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
    assert.equal(Number(zip.headers.get('content-length')), bytes.length);
    assert.ok(bytes.toString('latin1').includes('docs/readme.txt'));

    // an error lands in the page's hidden frame: JSON, and allowed to show there
    const broken = await post('paths=not-json', sameOrigin);
    assert.equal(broken.status, 400);
    assert.equal(broken.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(((await broken.json()) as any).error.code, 'VALIDATION_FAILED');
    const missing = await post(new URLSearchParams({ paths: JSON.stringify(['nope']) }).toString(), sameOrigin);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();

    // another site's form is refused like any cross-site POST
    const crossSite = await post(form, 'https://evil.example');
    assert.equal(crossSite.status, 403);
    assert.equal(((await crossSite.json()) as any).error.code, 'CROSS_SITE_REQUEST');
  });

  it('keeps users apart: bob sees only his backup, never alice\'s, nor her jobs', async () => {
    const mine = await bob.client.get(`${base()}/files`);
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.files.map((file: any) => file.name), ['letter.txt']);
    const aliceShare = await bob.client.get(`/api/restore/${peerB}/alice/files`);
    assert.equal(aliceShare.status, 404);
    const notSynced = await alice.client.get(`/api/restore/${peerB}/data/files`);
    assert.equal(notSynced.status, 404);
    const started = await alice.client.post(`${base()}/restore`, { paths: ['empty.txt'], target: 'folder' });
    assert.equal(started.status, 202);
    const peek = await bob.client.get(`/api/restore/jobs/${started.body.jobId}`);
    assert.equal(peek.status, 404);
    await waitForJob(alice.client, `/api/restore/jobs/${started.body.jobId}`);
    const signedOut = await a.test.client().get(`${base()}/files`);
    assert.equal(signedOut.status, 401);
  });

  it(`restores into restored-<date>/ of the data share, with modification times, and the next sync of backup sends nothing`, async () => {
    const started = await alice.client.post(`${base()}/restore`, { paths: ['docs', 'photos/été/café crème.jpg'], target: 'folder' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await waitForJob(alice.client, `/api/restore/jobs/${started.body.jobId}`);
    assert.equal(job.status, 'success', JSON.stringify(job));
    assert.equal(job.targetShare, 'data');
    assert.equal(job.targetFolder, `restored-${localDate()}`);
    assert.equal(job.filesDone, 4);
    assert.equal(job.filesTotal, 4);
    const aliceData = path.join(a.test.dataDir, 'shares', 'alice', 'data');
    const restored = await tree(path.join(aliceData, job.targetFolder));
    for (const relPath of ['docs/readme.txt', 'docs/deep/nested/note.md', 'docs/deep/other.bin', 'photos/été/café crème.jpg']) {
      assert.deepEqual(restored.get(relPath), aliceTree.get(relPath), relPath);
    }
    assert.deepEqual(await tree(aliceBackup), aliceTree, 'nothing landed in the backup share');
    const [next] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(next?.status, 'success', JSON.stringify(next));
    assert.equal(next?.fileCount, 0, 'the restored copies are not uploaded again');
    const jobs = await alice.client.get('/api/restore/jobs');
    assert.ok(jobs.body.jobs.some((listed: any) => listed.id === job.id && listed.targetShare === 'data'));
    await rm(path.join(aliceData, job.targetFolder), { recursive: true });
  });

  it('restores over the original file once it verified', async () => {
    const readme = path.join(aliceBackup, 'docs', 'readme.txt');
    await writeFile(readme, 'changed by mistake');
    const started = await alice.client.post(`${base()}/restore`, { paths: ['docs/readme.txt'], target: 'original' });
    const job = await waitForJob(alice.client, `/api/restore/jobs/${started.body.jobId}`);
    assert.equal(job.status, 'success', JSON.stringify(job));
    assert.deepEqual((await tree(aliceBackup)).get('docs/readme.txt'), aliceTree.get('docs/readme.txt'));
  });

  describe('a copy altered on the peer', () => {
    const small = 'docs/deep/other.bin';
    const big = 'big/three-mib.bin';
    const originals = new Map<string, Buffer>();
    const storedPath = (relPath: string) => `server-a/alice/backup/${relPath}.enc`;
    const alter = (relPath: string, bytes: Buffer) => receiver.writeStored(b.test.dataDir, storedPath(relPath), bytes);

    before(async () => {
      for (const relPath of [small, big]) originals.set(relPath, await receiver.readStored(b.test.dataDir, storedPath(relPath)));
      const flipped = Buffer.from(originals.get(small) as Buffer);
      flipped[100] = (flipped[100] as number) ^ 0x01;
      await alter(small, flipped);
    });
    after(async () => {
      for (const [relPath, bytes] of originals) await alter(relPath, bytes);
    });

    it('a small file fails before any byte is sent: a proper error names it', async () => {
      const raw = await alice.client.get(`${base()}/file?path=${q(small)}`);
      assert.equal(raw.status, 502);
      assert.equal((raw.body as any).error.code, 'RESTORE_VERIFY_FAILED');
      assert.match((raw.body as any).error.message, /docs\/deep\/other\.bin/);
    });

    it('a large file with a damaged chunk is aborted mid-download, never completed', async () => {
      const flipped = Buffer.from(originals.get(big) as Buffer);
      const at = 12 + 2 * (1024 * 1024 + 16) + 100;
      flipped[at] = (flipped[at] as number) ^ 0x80;
      await alter(big, flipped);
      await assertAborted(fetchRaw(alice.client, 'GET', `${base()}/file?path=${q(big)}`), 'a damaged download');
    });

    it('a large file swapped for another valid encryption is caught by the final checks and aborted', async () => {
      // every chunk authenticates (same key, same path), only the hashes tell: the tail is held back until they matched
      const impostor = encryptBuffer(alice.key, fileInfo({ sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: big }), randomBytes(aliceFiles[big]?.length as number));
      await alter(big, impostor);
      await assertAborted(fetchRaw(alice.client, 'GET', `${base()}/file?path=${q(big)}`), 'a swapped download');
    });

    it('a ZIP holding an altered file is aborted', async () => {
      await assertAborted(fetchRaw(alice.client, 'POST', `${base()}/zip`, { paths: ['docs'] }), 'a ZIP with a damaged member');
      await assertAborted(fetchRaw(alice.client, 'POST', `${base()}/zip`, { paths: ['big'] }), 'a ZIP with a swapped member');
    });

    it('a restore into the share lists the altered files, leaves no partial file, and restores the rest', async () => {
      for (const relPath of [small, big, 'docs/readme.txt']) await rm(path.join(aliceBackup, ...relPath.split('/')));
      const started = await alice.client.post(`${base()}/restore`, { paths: [''], target: 'original' });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const job = await waitForJob(alice.client, `/api/restore/jobs/${started.body.jobId}`);
      assert.equal(job.status, 'partial', JSON.stringify(job));
      assert.deepEqual(job.errors.map((error: any) => [error.path, error.code]).sort(), [
        [big, 'RESTORE_VERIFY_FAILED'],
        [small, 'RESTORE_VERIFY_FAILED'],
      ]);
      assert.equal(job.filesDone, Object.keys(aliceFiles).length - 2);
      assert.equal(job.filesFailed, 2);
      const now = await tree(aliceBackup);
      assert.equal(now.has(small), false, 'no partial file');
      assert.equal(now.has(big), false, 'no partial file');
      assert.deepEqual(now.get('docs/readme.txt'), aliceTree.get('docs/readme.txt'));
      assert.deepEqual(await hiddenLeftovers(aliceBackup), []);
    });
  });

  it('bulk-restores alice and bob after their share folders are lost: identical trees, times and full progress', async () => {
    await rm(path.join(a.test.dataDir, 'shares', 'alice'), { recursive: true });
    await rm(path.join(a.test.dataDir, 'shares', 'bob'), { recursive: true });

    const refused = await alice.client.post('/api/admin/restore', { peerId: peerB, users: ['alice'] });
    assert.equal(refused.status, 403);
    const unknown = await a.admin.post('/api/admin/restore', { peerId: peerB, users: ['alice', 'nobody'] });
    assert.equal(unknown.status, 404);

    const started = await a.admin.post('/api/admin/restore', { peerId: peerB, users: ['alice', 'bob'] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await waitForJob(a.admin, `/api/admin/restore/${started.body.jobId}`);
    assert.equal(job.status, 'success', JSON.stringify(job));
    assert.equal(job.peerId, peerB);
    assert.ok(job.finishedAt);
    assert.equal(job.filesTotal, Object.keys(aliceFiles).length + Object.keys(bobFiles).length);
    assert.equal(job.filesDone, job.filesTotal);
    assert.equal(job.bytesDone, job.bytesTotal);
    assert.deepEqual(
      job.users.map((user: any) => [user.user, user.filesDone, user.filesTotal, user.errors.length]),
      [
        ['alice', Object.keys(aliceFiles).length, Object.keys(aliceFiles).length, 0],
        ['bob', Object.keys(bobFiles).length, Object.keys(bobFiles).length, 0],
      ],
    );
    assert.deepEqual(await tree(aliceBackup), aliceTree);
    assert.deepEqual(await tree(bobBackup), bobTree);

    const listed = await a.admin.get('/api/admin/restore');
    assert.ok(listed.body.jobs.some((listedJob: any) => listedJob.id === job.id && listedJob.kind === 'bulk'));
  });
});
