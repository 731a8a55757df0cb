import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, beforeEach, describe, it } from 'node:test';
import { openDatabase, type Database } from '../db/index.js';
import { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import { IncomingRepo } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { encodeBatchItemHead } from '../protocol/v1/index.js';
import { ShareHistory } from './share-history.js';
import { FsHistoryFiles } from './fs-history-files.js';
import { FsIncomingStore } from './fs-store.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ref = { source: 'server-b', user: 'alice', share: 'backup' };
const body = (bytes: Buffer) => Readable.from([bytes]);

describe('ShareHistory through IncomingStore', () => {
  let dir: string;
  let db: Database;
  let root: string;
  let keepDays: number;
  let store: FsIncomingStore;
  let historyRepo: IncomingHistoryRepo;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-history-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    root = await mkdtemp(path.join(dir, 'incoming-'));
    keepDays = 30;
    const repo = new IncomingRepo(db);
    historyRepo = new IncomingHistoryRepo(db);
    repo.deleteShares({ source: 'server-b' });
    historyRepo.deleteAll({ source: 'server-b' });
    const history = new ShareHistory({ files: new FsHistoryFiles(root), repo: historyRepo, now: () => new Date(), keepVersionsDays: () => keepDays });
    store = new FsIncomingStore({ root, repo, history });
  });

  const put = (storedPath: string, bytes: Buffer) => store.putFile(ref, storedPath, body(bytes), { hex: sha(bytes) });
  const read = async (storedPath: string, ctSha256?: string) => buffer((await store.openFile(ref, storedPath, ctSha256)).stream);
  const commit = (generation: number, bytes = randomBytes(40)) => store.putManifest(ref, body(bytes), { hex: sha(bytes) }, generation, { fileCount: generation, bytes: 10 * generation });
  const notFound = (error: unknown) => error instanceof AnemoneError && error.code === 'NOT_FOUND';

  it('keeps an overwritten and a deleted object, each served by its SHA-256', async () => {
    const [first, second, gone] = [randomBytes(100), randomBytes(120), randomBytes(30)];
    await put('a.enc', first);
    await put('dir/b.enc', gone);
    await commit(1);
    await put('a.enc', second);
    await store.deleteFiles(ref, ['dir/b.enc']);
    await commit(2);

    assert.deepEqual(await read('a.enc'), second, 'the current state is what the source sent last');
    assert.deepEqual(await read('a.enc', sha(second)), second);
    assert.deepEqual(await read('a.enc', sha(first)), first);
    assert.deepEqual(await read('dir/b.enc', sha(gone)), gone);
    await assert.rejects(read('dir/b.enc'), notFound, 'deleted from the current state');
    await assert.rejects(read('a.enc', sha(randomBytes(5))), notFound);
    assert.deepEqual((await store.listFiles(ref)).map((file) => file.path), ['a.enc'], 'history is not part of the share');
    // self-describing on disk: each kept version is named by its ciphertext SHA-256, no database needed to find it
    const objects = path.join(root, 'server-b', '.history', 'alice', 'backup', 'objects');
    for (const kept of [first, gone]) {
      assert.deepEqual(await readFile(path.join(objects, sha(kept).slice(0, 2), `${sha(kept)}.enc`)), kept);
    }
  });

  it('keeps one file when the same ciphertext is kept twice (a version file is named by its bytes)', async () => {
    const [same, next] = [randomBytes(64), randomBytes(64)];
    await put('a.enc', same);
    await commit(1);
    await put('a.enc', same);
    await put('a.enc', next);
    await commit(2);
    const versions = historyRepo.listVersions(ref);
    assert.equal(versions.length, 2, 'each replacement is a row');
    assert.equal(new Set(versions.map((version) => version.file)).size, 1, 'the same bytes are one file');
    assert.deepEqual(await read('a.enc', sha(same)), same);
  });

  it('keeps replaced manifests and folded deltas, and serves each snapshot as its chain', async () => {
    const manifests = [randomBytes(50), randomBytes(60)];
    const deltas = [randomBytes(20), randomBytes(21)];
    await commit(1, manifests[0]);
    await store.putManifestDelta(ref, 2, body(deltas[0] as Buffer), { hex: sha(deltas[0] as Buffer) });
    await store.putManifestDelta(ref, 3, body(deltas[1] as Buffer), { hex: sha(deltas[1] as Buffer) });
    await commit(4, manifests[1]);
    assert.deepEqual(await store.journalGenerations(ref), [], 'the fold emptied the live journal');

    const chain3 = store.snapshotChain(ref, 3);
    assert.ok(chain3);
    assert.deepEqual(await buffer((await store.openChainFile(chain3.base)).stream), manifests[0]);
    assert.deepEqual(chain3.deltas.map((delta) => delta.generation), [2, 3]);
    assert.deepEqual(await buffer((await store.openChainFile((chain3.deltas[1] as { file: string }).file)).stream), deltas[1]);
    const chain4 = store.snapshotChain(ref, 4);
    assert.deepEqual(chain4 && (await buffer((await store.openChainFile(chain4.base)).stream)), manifests[1]);
    assert.deepEqual(
      store.listSnapshots(ref).map((snapshot) => [snapshot.generation, snapshot.fileCount]),
      [
        [4, 4],
        [3, null],
        [2, null],
        [1, 1],
      ],
    );
  });

  it('answers a generation written twice with its first commit: a rewrite cannot stand in for a snapshot', async () => {
    const [genuine, rewrite] = [randomBytes(50), randomBytes(50)];
    await commit(1, genuine);
    await commit(1, rewrite);
    const chain = store.snapshotChain(ref, 1);
    assert.deepEqual(chain && (await buffer((await store.openChainFile(chain.base)).stream)), genuine);
    assert.deepEqual(await buffer((await store.openManifest(ref)).stream), rewrite, 'the current state is the rewrite');
  });

  it('keeps what a batch and a resumed upload replace', async () => {
    const [old1, old2, new1, new2] = [randomBytes(10), randomBytes(11), randomBytes(12), randomBytes(13)];
    await put('x.enc', old1);
    await put('y.enc', old2);
    await commit(1);
    const batch = Buffer.concat([encodeBatchItemHead({ path: 'x.enc', size: new1.length, ctSha256: sha(new1) }), new1]);
    await store.putBatch(ref, body(batch));
    const uploadId = 'ab'.repeat(16);
    await store.uploadOffset(ref, 'y.enc', uploadId, new2.length);
    const appended = await store.appendUpload(ref, 'y.enc', uploadId, 0, body(Buffer.concat([new2, Buffer.from(sha(new2), 'hex')])));
    assert.equal(appended.complete, true);
    assert.deepEqual(await read('x.enc', sha(old1)), old1);
    assert.deepEqual(await read('y.enc', sha(old2)), old2);
    assert.deepEqual(await read('y.enc', sha(new2)), new2);
  });

  it('removes uncommitted objects outright, but keeps the committed object one of them replaced', async () => {
    const [committed, replacement, fresh] = [randomBytes(10), randomBytes(10), randomBytes(10)];
    await put('kept.enc', committed);
    await commit(1);
    await put('kept.enc', replacement);
    await put('fresh.enc', fresh);
    await store.dropUncommitted(ref);
    await assert.rejects(read('fresh.enc'), notFound);
    assert.deepEqual(await read('kept.enc', sha(committed)), committed);
    assert.equal(historyRepo.listVersions(ref).length, 1, 'only the replaced committed object is a version');
  });

  it('keeps nothing when retention is 0 days (a mirror)', async () => {
    keepDays = 0;
    const [first, second] = [randomBytes(10), randomBytes(10)];
    await put('a.enc', first);
    await commit(1);
    await put('a.enc', second);
    await commit(2);
    await assert.rejects(read('a.enc', sha(first)), notFound);
    assert.deepEqual(await readdir(path.join(root, 'server-b'), { recursive: true }).then((names) => names.filter((name) => name.includes('.history') && name.endsWith('.enc'))), []);
    assert.deepEqual(store.listSnapshots(ref).map((snapshot) => snapshot.generation), [2]);
  });

  it('goes with the share when the administrator deletes it', async () => {
    await put('a.enc', randomBytes(10));
    await commit(1);
    await put('a.enc', randomBytes(10));
    await commit(2);
    await store.deleteStored({ source: 'server-b', user: 'alice', share: 'backup' });
    assert.deepEqual(historyRepo.listVersions(ref), []);
    assert.deepEqual(store.listSnapshots(ref), []);
    assert.deepEqual(await readdir(path.join(root, 'server-b', '.history', 'alice')), []);
  });
});
