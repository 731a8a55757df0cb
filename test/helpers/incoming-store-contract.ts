import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { IncomingRepo } from '../../src/db/incoming-repo.js';
import { AnemoneError } from '../../src/errors/catalogue.js';
import { encodeBatchItemHead } from '../../src/protocol/v1/index.js';
import type { IncomingStore, ShareRef, StoredFileStream } from '../../src/incoming/incoming-store.js';

/** One store under test, fresh and empty, with the repository its statistics live in. */
export interface StoreUnderTest {
  store: IncomingStore;
  repo: IncomingRepo;
  close(): Promise<void>;
}

/** How a backend's test file hands its stores to the contract. */
export interface StoreBackend {
  name: string;
  /** Once before the suite (starting a local S3 server, say). */
  start?(): Promise<void>;
  stop?(): Promise<void>;
  open(options: { keepVersionsDays: number }): Promise<StoreUnderTest>;
  /** The smallest upload the backend writes in several parts; a larger object is written that way in one test. */
  multipartBytes: number;
}

const ref: ShareRef = { source: 'server-b', user: 'alice', share: 'backup' };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const body = (bytes: Buffer) => Readable.from([bytes]);
const isCode = (expected: string) => (error: unknown) => error instanceof AnemoneError && error.code === expected;

async function bytesOf(file: StoredFileStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of file.stream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  assert.equal(bytes.length, file.size, 'the size announced is the size read');
  return bytes;
}

function batchBody(items: { path: string; bytes: Buffer }[]): Readable {
  return Readable.from([Buffer.concat(items.flatMap((item) => [encodeBatchItemHead({ path: item.path, size: item.bytes.length, ctSha256: sha(item.bytes) }), item.bytes]))]);
}

/**
 * The rules every incoming store keeps (src/incoming/incoming-store.ts), checked through
 * the interface alone: a backend's test file calls this with its factory.
 */
export function incomingStoreContract(backend: StoreBackend): void {
  describe(`IncomingStore contract: ${backend.name}`, () => {
    let opened: StoreUnderTest[] = [];
    const open = async (keepVersionsDays = 0) => {
      const underTest = await backend.open({ keepVersionsDays });
      opened.push(underTest);
      return underTest;
    };
    const stats = (repo: IncomingRepo) => repo.listShares(ref.source).find((row) => row.user === ref.user && row.share === ref.share);

    before(async () => backend.start?.());
    after(async () => {
      for (const underTest of opened) await underTest.close();
      opened = [];
      await backend.stop?.();
    });

    it('stores an object and serves it back byte for byte, with the share stats kept in SQLite', async () => {
      const { store, repo } = await open();
      const bytes = randomBytes(3000);
      assert.deepEqual(await store.putFile(ref, 'photos/cat.jpg.enc', body(bytes), { hex: sha(bytes) }), { size: 3000 });
      await store.putFile(ref, 'b.enc', body(Buffer.alloc(50)), { hex: sha(Buffer.alloc(50)) });
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'photos/cat.jpg.enc')), bytes);
      assert.deepEqual(await store.listFiles(ref), [{ path: 'b.enc', size: 50 }, { path: 'photos/cat.jpg.enc', size: 3000 }]);
      assert.deepEqual([stats(repo)?.fileCount, stats(repo)?.bytesUsed], [2, 3050]);
      await store.putFile(ref, 'b.enc', body(Buffer.alloc(10)), { hex: sha(Buffer.alloc(10)) });
      assert.deepEqual([stats(repo)?.fileCount, stats(repo)?.bytesUsed], [2, 3010], 'a replacement changes the bytes, not the count');
    });

    it('takes the SHA-256 from a trailer after the bytes', async () => {
      const { store } = await open();
      const bytes = randomBytes(1000);
      await store.putFile(ref, 'a.enc', Readable.from([bytes, Buffer.from(sha(bytes), 'hex')]), 'trailer');
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'a.enc')), bytes);
    });

    it('refuses an object whose SHA-256 does not match, and keeps the version stored before', async () => {
      const { store, repo } = await open();
      const old = Buffer.from('old version');
      await store.putFile(ref, 'a.enc', body(old), { hex: sha(old) });
      await assert.rejects(store.putFile(ref, 'a.enc', body(Buffer.from('damaged')), { hex: sha(old) }), isCode('HASH_MISMATCH'));
      await assert.rejects(store.putFile(ref, 'new.enc', body(Buffer.from('damaged')), { hex: sha(old) }), isCode('HASH_MISMATCH'));
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'a.enc')), old);
      assert.deepEqual(await store.listFiles(ref), [{ path: 'a.enc', size: old.length }]);
      assert.deepEqual([stats(repo)?.fileCount, stats(repo)?.bytesUsed], [1, old.length]);
    });

    it('writes an object larger than one part in several, byte for byte', async () => {
      const { store } = await open();
      const bytes = randomBytes(backend.multipartBytes * 2 + 1234);
      await store.putFile(ref, 'big.enc', body(bytes), { hex: sha(bytes) });
      assert.deepEqual(sha(await bytesOf(await store.openFile(ref, 'big.enc'))), sha(bytes));
      const damaged = Buffer.concat([bytes.subarray(0, -1), Buffer.from([(bytes.at(-1) ?? 0) ^ 1])]);
      await assert.rejects(store.putFile(ref, 'big.enc', body(damaged), { hex: sha(bytes) }), isCode('HASH_MISMATCH'));
      assert.deepEqual(sha(await bytesOf(await store.openFile(ref, 'big.enc'))), sha(bytes), 'the verified object stays');
    });

    it('refuses paths that leave the share, and serves NOT_FOUND for what is not stored', async () => {
      const { store } = await open();
      await assert.rejects(store.putFile(ref, '../escape.enc', body(Buffer.alloc(1)), { hex: sha(Buffer.alloc(1)) }), isCode('PATH_INVALID'));
      await assert.rejects(store.putFile(ref, '_manifest.d/4.json.enc', body(Buffer.alloc(1)), { hex: sha(Buffer.alloc(1)) }), isCode('PATH_INVALID'));
      await assert.rejects(store.openFile(ref, 'missing.enc'), isCode('NOT_FOUND'));
      await assert.rejects(store.openManifest(ref), isCode('NOT_FOUND'));
    });

    it('stores a batch, a path sent twice counted once with its last copy', async () => {
      const { store, repo } = await open();
      const items = Array.from({ length: 20 }, (_, index) => ({ path: `batch/${index}.enc`, bytes: randomBytes(100 + index) }));
      const last = Buffer.from('the last copy');
      assert.deepEqual(await store.putBatch(ref, batchBody([...items, { path: 'x.enc', bytes: Buffer.from('first') }, { path: 'x.enc', bytes: last }])), { stored: 22 });
      assert.equal((await store.listFiles(ref)).length, 21);
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'batch/7.enc')), (items[7] as { bytes: Buffer }).bytes);
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'x.enc')), last);
      assert.deepEqual(stats(repo)?.fileCount, 21);
    });

    it('commits with the manifest; the next run removes what an unfinished run left, never what a commit holds', async () => {
      const { store, repo } = await open();
      const committed = Buffer.alloc(100, 1);
      await store.putFile(ref, 'kept.enc', body(committed), { hex: sha(committed) });
      await store.putFile(ref, 'replaced.enc', body(committed), { hex: sha(committed) });
      await store.putManifest(ref, body(Buffer.alloc(5)), { hex: sha(Buffer.alloc(5)) }, 1);
      const fresh = Buffer.alloc(300, 2);
      await store.putFile(ref, 'new/one.enc', body(fresh), { hex: sha(fresh) });
      await store.putFile(ref, 'replaced.enc', body(fresh), { hex: sha(fresh) });
      await store.putBatch(ref, batchBody([{ path: 'new/two.enc', bytes: fresh }]));
      assert.deepEqual(await store.dropUncommitted(ref), { removedFiles: 2, removedBytes: 600, deferred: false });
      assert.deepEqual((await store.listFiles(ref)).map((file) => file.path), ['kept.enc', 'replaced.enc']);
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'replaced.enc')), fresh, 'a replaced path keeps its new content');
      assert.deepEqual([stats(repo)?.fileCount, stats(repo)?.bytesUsed], [2, 405]);
      assert.equal((await store.listShares(ref.source))[0]?.hasManifest, true);
    });

    it('leaves the cleanup for later while a write to the share still runs', async () => {
      const { store } = await open();
      const first = Buffer.from('first');
      const upload = new PassThrough();
      const writing = store.putFile(ref, 'b.enc', upload, { hex: sha(first) });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(await store.dropUncommitted(ref), { removedFiles: 0, removedBytes: 0, deferred: true });
      upload.end(first);
      await writing;
      assert.deepEqual(await store.dropUncommitted(ref), { removedFiles: 1, removedBytes: 5, deferred: false });
    });

    it('keeps a journal beside the manifest; the next full manifest folds it', async () => {
      const { store } = await open();
      const delta = (generation: number, bytes: Buffer) => store.putManifestDelta(ref, generation, body(bytes), { hex: sha(bytes) });
      await assert.rejects(delta(2, Buffer.alloc(3)), isCode('NOT_FOUND'));
      await store.putManifest(ref, body(Buffer.alloc(5)), { hex: sha(Buffer.alloc(5)) }, 1);
      await delta(2, Buffer.alloc(3));
      await delta(3, Buffer.alloc(4, 1));
      assert.deepEqual(await store.journalGenerations(ref), [2, 3]);
      assert.equal(await store.currentGeneration(ref), 3);
      assert.deepEqual(await bytesOf(await store.openManifestDelta(ref, 3)), Buffer.alloc(4, 1));
      await store.putManifest(ref, body(Buffer.alloc(6, 7)), { hex: sha(Buffer.alloc(6, 7)) }, 4);
      assert.deepEqual(await store.journalGenerations(ref), []);
      assert.deepEqual(await bytesOf(await store.openManifest(ref)), Buffer.alloc(6, 7));
    });

    it('takes a full manifest streamed with its SHA-256 as a trailer; a damaged one replaces nothing and folds no journal', async () => {
      const { store } = await open();
      const withTrailer = (bytes: Buffer) => Readable.from([bytes.subarray(0, 3), bytes.subarray(3), Buffer.from(sha(bytes), 'hex')]);
      const first = randomBytes(2000);
      await store.putManifest(ref, withTrailer(first), 'trailer', 1);
      assert.deepEqual(await bytesOf(await store.openManifest(ref)), first);
      await store.putManifestDelta(ref, 2, body(Buffer.alloc(3)), { hex: sha(Buffer.alloc(3)) });
      // the last byte changed on the way: its trailer no longer matches
      const sent = randomBytes(3000);
      const damaged = Buffer.concat([sent.subarray(0, -1), Buffer.from([(sent.at(-1) ?? 0) ^ 1]), Buffer.from(sha(sent), 'hex')]);
      await assert.rejects(store.putManifest(ref, Readable.from([damaged]), 'trailer', 3), isCode('HASH_MISMATCH'));
      assert.deepEqual(await bytesOf(await store.openManifest(ref)), first);
      assert.deepEqual(await store.journalGenerations(ref), [2]);
      assert.equal(await store.currentGeneration(ref), 2);
    });

    it('deletes what the source deleted, skipping paths not stored, and hashes what it holds', async () => {
      const { store, repo } = await open();
      const bytes = Buffer.from('object');
      await store.putFile(ref, 'a.enc', body(bytes), { hex: sha(bytes) });
      await store.putFile(ref, 'dir/b.enc', body(bytes), { hex: sha(bytes) });
      assert.deepEqual(await store.hashFiles(ref, ['dir/b.enc', 'a.enc', 'missing.enc']), [
        { path: 'a.enc', size: 6, sha256: sha(bytes) },
        { path: 'dir/b.enc', size: 6, sha256: sha(bytes) },
      ]);
      assert.deepEqual(await store.deleteFiles(ref, ['dir/b.enc', 'missing.enc']), { deleted: 1 });
      assert.deepEqual((await store.listFiles(ref)).map((file) => file.path), ['a.enc']);
      assert.deepEqual([stats(repo)?.fileCount, stats(repo)?.bytesUsed], [1, 6]);
    });

    it('keeps what a source replaces or deletes as versions, served by their SHA-256, and snapshots by generation', async () => {
      const { store } = await open(30);
      const first = Buffer.from('first version');
      const second = Buffer.from('second version');
      await store.putFile(ref, 'a.enc', body(first), { hex: sha(first) });
      await store.putManifest(ref, body(Buffer.from('manifest 1')), { hex: sha(Buffer.from('manifest 1')) }, 1, { fileCount: 1, bytes: 10 });
      await store.putFile(ref, 'a.enc', body(second), { hex: sha(second) });
      await store.putManifest(ref, body(Buffer.from('manifest 2')), { hex: sha(Buffer.from('manifest 2')) }, 2, { fileCount: 1, bytes: 11 });
      await store.deleteFiles(ref, ['a.enc']);
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'a.enc', sha(first))), first);
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'a.enc', sha(second))), second);
      await assert.rejects(store.openFile(ref, 'a.enc'), isCode('NOT_FOUND'));
      assert.deepEqual(store.listSnapshots(ref).map((snapshot) => snapshot.generation), [2, 1]);
      const chain = store.snapshotChain(ref, 1);
      assert.ok(chain);
      assert.deepEqual(await bytesOf(await store.openChainFile(chain.base)), Buffer.from('manifest 1'));
      assert.ok(store.history.sourceHistoryBytes(ref.source) > 0);
    });

    it('frees history that retention removes', async () => {
      const { store } = await open(30);
      const first = Buffer.from('first version');
      await store.putFile(ref, 'a.enc', body(first), { hex: sha(first) });
      await store.deleteFiles(ref, ['a.enc']);
      assert.deepEqual(await bytesOf(await store.openFile(ref, 'a.enc', sha(first))), first);
      const file = `objects/${sha(first).slice(0, 2)}/${sha(first)}.enc`;
      await store.history.removeFiles(ref, [file]);
      await assert.rejects(store.openFile(ref, 'a.enc', sha(first)), isCode('NOT_FOUND'));
      await store.history.removeFiles(ref, [file]);
    });

    it('resumes an upload where the durable bytes end, and commits it whole', async () => {
      const { store } = await open();
      const bytes = randomBytes(backend.multipartBytes * 2 + 4321);
      const uploadId = 'a'.repeat(32);
      assert.deepEqual(await store.uploadOffset(ref, 'large.enc', uploadId, bytes.length), { offset: 0 });
      // a connection that drops after a part and a half
      const cut = Math.floor(backend.multipartBytes * 1.5);
      const first = await store.appendUpload(ref, 'large.enc', uploadId, 0, Readable.from([bytes.subarray(0, cut)]));
      assert.equal(first.complete, false);
      const { offset } = await store.uploadOffset(ref, 'large.enc', uploadId, bytes.length);
      assert.equal(offset, first.offset);
      assert.ok(offset > 0 && offset <= cut, `some bytes are held (${offset})`);
      await assert.rejects(store.openFile(ref, 'large.enc'), isCode('NOT_FOUND'), 'nothing is placed before it is whole');
      const rest = await store.appendUpload(ref, 'large.enc', uploadId, offset, Readable.from([bytes.subarray(offset), Buffer.from(sha(bytes), 'hex')]));
      assert.deepEqual(rest, { complete: true, offset: bytes.length });
      assert.equal(sha(await bytesOf(await store.openFile(ref, 'large.enc'))), sha(bytes));
      await assert.rejects(store.appendUpload(ref, 'large.enc', uploadId, 0, Readable.from([Buffer.alloc(1)])), isCode('NOT_FOUND'), 'a completed upload is gone');
    });

    it('refuses a resumed upload whose SHA-256 does not match, placing nothing', async () => {
      const { store } = await open();
      const bytes = randomBytes(backend.multipartBytes + 100);
      const uploadId = 'b'.repeat(32);
      await store.uploadOffset(ref, 'large.enc', uploadId, bytes.length);
      await assert.rejects(
        store.appendUpload(ref, 'large.enc', uploadId, 0, Readable.from([bytes, Buffer.from(sha(Buffer.alloc(1)), 'hex')])),
        isCode('HASH_MISMATCH'),
      );
      await assert.rejects(store.openFile(ref, 'large.enc'), isCode('NOT_FOUND'));
    });

    it('answers an offset that is not the one held with the offset held', async () => {
      const { store } = await open();
      const uploadId = 'c'.repeat(32);
      await store.uploadOffset(ref, 'large.enc', uploadId, 100);
      await assert.rejects(store.appendUpload(ref, 'large.enc', uploadId, 50, Readable.from([Buffer.alloc(50)])), isCode('UPLOAD_OFFSET_MISMATCH'));
      assert.equal(await store.removeAbandonedUploads(), 0, 'a fresh upload is not abandoned');
    });

    it("deletes a share's backups with its history, and the share starts a new incarnation", async () => {
      const { store, repo } = await open(30);
      const bytes = Buffer.from('object');
      await store.putFile(ref, 'a.enc', body(bytes), { hex: sha(bytes) });
      await store.putManifest(ref, body(bytes), { hex: sha(bytes) }, 1);
      await store.putFile(ref, 'a.enc', body(Buffer.from('newer')), { hex: sha(Buffer.from('newer')) });
      const before = store.incarnation(ref);
      assert.deepEqual(await store.deleteStored({ source: ref.source, user: ref.user, share: ref.share }), { fileCount: 1, bytesUsed: 11 });
      assert.equal(store.incarnation(ref), before + 1);
      assert.throws(() => store.checkIncarnation(ref, before), isCode('BACKUP_RESET_ON_PEER'));
      assert.deepEqual(await store.listFiles(ref), []);
      await assert.rejects(store.openManifest(ref), isCode('NOT_FOUND'));
      await assert.rejects(store.openFile(ref, 'a.enc', sha(bytes)), isCode('NOT_FOUND'));
      assert.equal(stats(repo), undefined);
      assert.equal(store.history.sourceHistoryBytes(ref.source), 0);
    });
  });
}
