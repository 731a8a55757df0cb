import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { S3Location } from '../config/config.js';
import { type Database, openDatabase } from '../db/index.js';
import { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import { IncomingMultipartRepo } from '../db/incoming-multipart-repo.js';
import { IncomingRepo } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { FaultyHttpProxy } from '../../test/helpers/faulty-http-proxy.js';
import { LocalS3 } from '../../test/helpers/local-s3.js';
import { MIN_PART_BYTES, S3Objects, asObjectStoreError, s3Client } from './s3-objects.js';
import { S3HistoryFiles } from './s3-history-files.js';
import { probeBucket } from './s3-probe.js';
import { S3IncomingStore } from './s3-store.js';
import { ShareHistory } from './share-history.js';

const ref = { source: 'server-b', user: 'alice', share: 'backup' };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const isCode = (expected: string) => (error: unknown) => error instanceof AnemoneError && error.code === expected;

describe('S3IncomingStore on a local S3 server', () => {
  const s3 = new LocalS3();
  let dir: string;
  let db: Database;
  const clients: { destroy(): void }[] = [];

  before(async () => {
    await s3.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-s3-store-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
  });
  after(async () => {
    for (const client of clients) client.destroy();
    db.close();
    await rm(dir, { recursive: true, force: true });
    await s3.stop();
  });

  const storeAt = (location: S3Location, options: { keepVersionsDays?: number; maxAttempts?: number } = {}) => {
    const client = s3Client(location, { maxAttempts: options.maxAttempts });
    clients.push(client);
    const objects = new S3Objects(client, location);
    const history = new ShareHistory({ files: new S3HistoryFiles(objects), repo: new IncomingHistoryRepo(db), now: () => new Date(), keepVersionsDays: () => options.keepVersionsDays ?? 0 });
    const store = new S3IncomingStore({ objects, repo: new IncomingRepo(db), multipart: new IncomingMultipartRepo(db), history });
    return { store, objects };
  };
  const freshPrefix = () => `peer-${randomBytes(6).toString('hex')}`;
  const keysUnder = async (objects: S3Objects, prefix: string) => {
    const keys: string[] = [];
    for await (const object of objects.list(`${prefix}/`)) keys.push(object.key);
    return keys.sort();
  };

  it('keys objects, manifest, journal and history as the filesystem lays out folders', async () => {
    const prefix = freshPrefix();
    const { store, objects } = storeAt(s3.location(prefix), { keepVersionsDays: 30 });
    const first = Buffer.from('first');
    const second = Buffer.from('second');
    await store.putFile(ref, 'photos/cat.jpg.enc', Readable.from([first]), { hex: sha(first) });
    await store.putManifest(ref, Readable.from([first]), { hex: sha(first) }, 1);
    await store.putFile(ref, 'photos/cat.jpg.enc', Readable.from([second]), { hex: sha(second) });
    await store.putManifestDelta(ref, 2, Readable.from([second]), { hex: sha(second) });
    const keys = await keysUnder(objects, prefix);
    assert.deepEqual(keys.filter((key) => !key.includes('/.history/')), [
      `${prefix}/server-b/alice/backup/_manifest.d/2.json.enc`,
      `${prefix}/server-b/alice/backup/_manifest.json.enc`,
      `${prefix}/server-b/alice/backup/photos/cat.jpg.enc`,
    ]);
    assert.deepEqual(keys.filter((key) => key.includes('/.history/')), [`${prefix}/server-b/.history/alice/backup/objects/${sha(first).slice(0, 2)}/${sha(first)}.enc`]);
  });

  it('copies into history in parts above the threshold it is given; a storage that cannot (s3rver: no UploadPartCopy) fails the copy and leaves no object behind', async () => {
    const prefix = freshPrefix();
    const client = s3Client(s3.location(prefix));
    clients.push(client);
    // the threshold lowered for this one S3Objects; the ranges themselves are checked in s3-objects-copy.test.ts
    const objects = new S3Objects(client, s3.location(prefix), { maxSingleCopyBytes: 10, copyPartBytes: MIN_PART_BYTES });
    await objects.put(objects.key('small.enc'), Buffer.from('ten bytes!'));
    await objects.put(objects.key('large.enc'), Buffer.from('eleven bytes'));
    assert.equal(await objects.copy(objects.key('small.enc'), objects.key('.history/small.enc')), true, 'at the threshold: one CopyObject');
    await assert.rejects(objects.copy(objects.key('large.enc'), objects.key('.history/large.enc')), isCode('OBJECT_STORE_UNAVAILABLE'));
    assert.deepEqual(await keysUnder(objects, prefix), [`${prefix}/.history/small.enc`, `${prefix}/large.enc`, `${prefix}/small.enc`]);
  });

  it('checks the bucket at start: write, read and delete a probe, leaving nothing', async () => {
    const prefix = freshPrefix();
    const { objects } = storeAt(s3.location(prefix));
    await probeBucket(objects);
    assert.deepEqual(await keysUnder(objects, prefix), []);
  });

  it('says which of credentials, bucket or reachability is wrong', async () => {
    await assert.rejects(probeBucket(storeAt({ ...s3.location(freshPrefix()), accessKeyId: 'WRONG', secretAccessKey: 'wrong' }).objects), isCode('OBJECT_STORE_CREDENTIALS_REJECTED'));
    await assert.rejects(probeBucket(storeAt({ ...s3.location(freshPrefix()), bucket: 'no-such-bucket' }).objects), isCode('OBJECT_STORE_BUCKET_MISSING'));
    await assert.rejects(probeBucket(storeAt({ ...s3.location(freshPrefix()), endpoint: 'http://127.0.0.1:9' }, { maxAttempts: 1 }).objects), isCode('OBJECT_STORE_UNAVAILABLE'));
    const skewed = Object.assign(new Error('The difference between the request time and the current time is too large.'), { name: 'RequestTimeTooSkewed' });
    assert.ok(isCode('OBJECT_STORE_CLOCK_SKEW')(asObjectStoreError(skewed)));
  });

  it('retries a 503 and a connection dropped mid-upload, then stores the object whole', async () => {
    const proxy = new FaultyHttpProxy(s3.endpoint);
    await proxy.start();
    try {
      const { store } = storeAt({ ...s3.location(freshPrefix()), endpoint: proxy.endpoint });
      const faults: ('503' | 'drop')[] = ['503', 'drop'];
      proxy.decide = ({ method }) => (method === 'PUT' ? (faults.shift() ?? 'pass') : 'pass');
      const small = randomBytes(2000);
      await store.putFile(ref, 'small.enc', Readable.from([small]), { hex: sha(small) });
      assert.deepEqual(faults, [], 'both faults happened');
      // a large object: a part's upload dropped, then answered 503, then through
      const large = randomBytes(MIN_PART_BYTES + 1000);
      const partFaults: ('503' | 'drop')[] = ['drop', '503'];
      proxy.decide = ({ method, url }) => (method === 'PUT' && url.includes('partNumber=1') ? (partFaults.shift() ?? 'pass') : 'pass');
      await store.putFile(ref, 'large.enc', Readable.from([large]), { hex: sha(large) });
      assert.deepEqual(partFaults, []);
      const read = async (storedPath: string) => {
        const chunks: Buffer[] = [];
        for await (const chunk of (await store.openFile(ref, storedPath)).stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      };
      assert.equal(sha(await read('small.enc')), sha(small));
      assert.equal(sha(await read('large.enc')), sha(large));
    } finally {
      await proxy.stop();
    }
  });

  it('reports a storage that keeps refusing (503), keeping what was stored before and the stats as they were', async () => {
    const proxy = new FaultyHttpProxy(s3.endpoint);
    await proxy.start();
    try {
      const prefix = freshPrefix();
      const { store } = storeAt({ ...s3.location(prefix), endpoint: proxy.endpoint }, { maxAttempts: 2 });
      const old = Buffer.from('old version');
      await store.putFile(ref, 'a.enc', Readable.from([old]), { hex: sha(old) });
      const before = new IncomingRepo(db).listShares(ref.source).find((row) => row.user === ref.user);
      proxy.decide = ({ method }) => (method === 'PUT' ? '503' : 'pass');
      const fresh = Buffer.from('new version');
      await assert.rejects(store.putFile(ref, 'a.enc', Readable.from([fresh]), { hex: sha(fresh) }), isCode('OBJECT_STORE_UNAVAILABLE'));
      proxy.decide = () => 'pass';
      const chunks: Buffer[] = [];
      for await (const chunk of (await store.openFile(ref, 'a.enc')).stream) chunks.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(chunks), old);
      const afterRow = new IncomingRepo(db).listShares(ref.source).find((row) => row.user === ref.user);
      assert.deepEqual([afterRow?.fileCount, afterRow?.bytesUsed], [before?.fileCount, before?.bytesUsed]);
      // the source's next run sends it again, and it lands
      await store.putFile(ref, 'a.enc', Readable.from([fresh]), { hex: sha(fresh) });
    } finally {
      await proxy.stop();
    }
  });

  it('after a restart, a resumed upload starts again from 0 and the old parts are aborted', async () => {
    const location = s3.location(freshPrefix());
    const bytes = randomBytes(MIN_PART_BYTES + 500);
    const uploadId = 'd'.repeat(32);
    const before = storeAt(location).store;
    await before.uploadOffset(ref, 'resumed.enc', uploadId, bytes.length);
    const sent = MIN_PART_BYTES + 100;
    const first = await before.appendUpload(ref, 'resumed.enc', uploadId, 0, Readable.from([bytes.subarray(0, sent)]));
    assert.equal(first.complete, false);
    assert.ok(first.offset >= MIN_PART_BYTES && first.offset <= sent, `a part is held (${first.offset})`);
    assert.deepEqual(await before.uploadOffset(ref, 'resumed.enc', uploadId, bytes.length), { offset: first.offset }, 'the same process resumes where the parts end');
    const multipart = new IncomingMultipartRepo(db);
    const oldUpload = multipart.findResumable(ref, 'resumed.enc')?.s3UploadId;

    const restarted = storeAt(location).store;
    assert.deepEqual(await restarted.uploadOffset(ref, 'resumed.enc', uploadId, bytes.length), { offset: 0 }, 'the hash of the parts held is gone with the process');
    assert.notEqual(multipart.findResumable(ref, 'resumed.enc')?.s3UploadId, oldUpload);
    const done = await restarted.appendUpload(ref, 'resumed.enc', uploadId, 0, Readable.from([bytes, Buffer.from(sha(bytes), 'hex')]));
    assert.deepEqual(done, { complete: true, offset: bytes.length });
    assert.equal(multipart.findResumable(ref, 'resumed.enc'), undefined);
  });

  it('aborts at start the large uploads a crash left unfinished, and expired resumable ones later', async () => {
    const location = s3.location(freshPrefix());
    const { store, objects } = storeAt(location);
    // a database of its own: the other tests' uploads are not this one's to count
    const own = openDatabase(path.join(dir, 'expiry.db'));
    after(() => own.close());
    const multipart = new IncomingMultipartRepo(own);
    const key = objects.key('server-b', 'alice', 'backup', 'crashed.enc');
    const s3UploadId = await objects.createMultipart(key);
    multipart.add({ key, s3UploadId, kind: 'put', ...ref, storedPath: 'crashed.enc', uploadId: null, size: 0, touchedAt: new Date().toISOString() });
    assert.equal(await new S3IncomingStore({ objects, repo: new IncomingRepo(own), multipart, history: store.history }).removeOrphanTemps(), 1);
    assert.deepEqual(multipart.list('put'), []);

    const expiring = new S3IncomingStore({
      objects,
      repo: new IncomingRepo(own),
      multipart,
      history: store.history,
      partialExpiryMs: 1000,
      now: () => new Date(Date.now() + 60_000),
    });
    await expiring.uploadOffset(ref, 'left.enc', 'e'.repeat(32), 10);
    const later = new S3IncomingStore({ objects, repo: new IncomingRepo(own), multipart, history: store.history, partialExpiryMs: 1000, now: () => new Date(Date.now() + 120_000) });
    assert.equal(await later.removeAbandonedUploads(), 1);
    assert.equal(multipart.findResumable(ref, 'left.enc'), undefined);
  });
});
