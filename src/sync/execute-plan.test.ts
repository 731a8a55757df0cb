import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { InMemoryPeer, type PeerEvent } from '../../test/helpers/in-memory-peer.js';
import { localState, runPlanOnce } from '../../test/helpers/plan-run.js';
import { storedNameFor } from '../manifest/stored-names.js';
import type { ExecutePlanInput, ExecutePlanResult } from './execute-plan.js';
import { planShareSync, SMALL_FILE_MAX_BYTES } from './plan-share.js';
import type { OnSent } from './types.js';

const userKey = randomBytes(32);
const context = { sourceServer: 'home', user: 'alice', share: 'backup' };
const LARGE = SMALL_FILE_MAX_BYTES + 100_000;

/** One run of the planner and the executor against `peer`, as runShareSync composes them. */
function syncOnce(peer: InMemoryPeer, root: string, relPaths: string[], hashes: ExecutePlanInput['hashes'] = { apply: () => undefined }): Promise<ExecutePlanResult> {
  // a checkpoint after every acknowledged file
  return runPlanOnce({ peer, root, relPaths, userKey, context }, { hashes, checkpoints: { intervalMs: 60_000, maxBytes: 1 } });
}

/** The relPaths a manifest event lists. */
const listed = (event: Extract<PeerEvent, { kind: 'manifest' }> | undefined) => Object.keys(event?.files ?? {}).sort();

/**
 * An in-memory peer whose answers the test holds: each batch's acknowledgement
 * and each large file's waits for what `answerBatch` / `answerFile` return
 * (an error fails it). It logs when each starts and ends, and counts what it
 * is still answering, so a test sees whether anything is in flight.
 */
class HeldPeer extends InMemoryPeer {
  readonly log: string[] = [];
  inFlight = 0;
  answerBatch: () => Promise<Error | undefined> = async () => undefined;
  answerFile: (storedPath: string, body: Readable) => Promise<Error | undefined> = async () => undefined;
  private readonly waiters: { entry: string; resolve: () => void }[] = [];

  /** Resolves once the log holds `entry`. */
  logged(entry: string): Promise<void> {
    if (this.log.includes(entry)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ entry, resolve }));
  }

  override async putBatchBody(user: string, share: string, body: Buffer): Promise<void> {
    return this.held('batch', () => this.answerBatch(), () => super.putBatchBody(user, share, body));
  }

  override async putFile(user: string, share: string, storedPath: string, body: Readable, size: number, onSent?: OnSent): Promise<{ ctSha256: string }> {
    return this.held(`file ${storedPath}`, () => this.answerFile(storedPath, body), () => super.putFile(user, share, storedPath, body, size, onSent));
  }

  private async held<T>(what: string, answer: () => Promise<Error | undefined>, store: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    this.note(`${what} started`);
    try {
      const error = await answer();
      if (error) throw error;
      const stored = await store();
      this.note(`${what} acknowledged`);
      return stored;
    } catch (error) {
      this.note(`${what} failed`);
      throw error;
    } finally {
      this.inFlight -= 1;
    }
  }

  private note(entry: string): void {
    this.log.push(entry);
    for (const waiter of this.waiters.filter((waiter) => waiter.entry === entry)) waiter.resolve();
  }
}

/** `whenLogged`, or after `ms` at the latest (without the change under test, the entry would never come). */
const atLatest = (whenLogged: Promise<unknown>, ms = 10_000) => Promise.race([whenLogged, delay(ms)]);

/** The run's rejection, checked to come only once the peer answers nothing more of it. */
async function failureWithNothingInFlight(peer: HeldPeer, run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    assert.equal(peer.inFlight, 0, `still in flight when the run threw: ${peer.log.join(', ')}`);
    return error as Error;
  }
  assert.fail('the run succeeded');
}

describe('executePlan against an in-memory peer', () => {
  let root: string;
  const write = (relPath: string, bytes: number) => writeFileSync(path.join(root, relPath), randomBytes(bytes));

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'anemone-execute-plan-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('acknowledges every object before a manifest lists it, and deletes only after the final manifest', async () => {
    for (const name of ['a.txt', 'b.txt', 'gone.txt']) write(name, 100);
    write('big-1.bin', LARGE);
    const peer = new InMemoryPeer({ userKey, context });
    await syncOnce(peer, root, ['a.txt', 'b.txt', 'gone.txt', 'big-1.bin']);

    // the second run changes, adds, streams and deletes
    const secondRun = peer.events.length;
    unlinkSync(path.join(root, 'gone.txt'));
    write('a.txt', 120);
    write('c.txt', 50);
    write('big-2.bin', LARGE);
    write('big-3.bin', LARGE);
    const done = await syncOnce(peer, root, ['a.txt', 'b.txt', 'c.txt', 'big-1.bin', 'big-2.bin', 'big-3.bin']);
    assert.equal(done.filesUploaded, 4);
    assert.equal(done.filesDeleted, 1);

    assert.equal(peer.firstManifestAheadOfData(), undefined);
    const events = peer.events.slice(secondRun);
    const manifests = events.filter((event) => event.kind === 'manifest');
    // checkpoints, then the final manifest without the deleted file, then the deletion
    assert.ok(manifests.length >= 3, `${manifests.length} manifests written`);
    const lastManifest = events.findLastIndex((event) => event.kind === 'manifest');
    const firstDelete = events.findIndex((event) => event.kind === 'delete');
    assert.ok(firstDelete > lastManifest, 'a deletion came before the final manifest');
    assert.deepEqual(events.slice(firstDelete), [{ kind: 'delete', paths: [storedNameFor('gone.txt')] }]);
    assert.deepEqual(listed(manifests.at(-1)), ['a.txt', 'b.txt', 'big-1.bin', 'big-2.bin', 'big-3.bin', 'c.txt']);
    for (const checkpoint of manifests.slice(0, -1)) assert.ok(listed(checkpoint).includes('gone.txt'), 'a checkpoint dropped a file before the final manifest');
    assert.equal(peer.objects.has(storedNameFor('gone.txt')), false);
  });

  it('a failing upload writes no final manifest, deletes nothing, and its checkpoints list only acknowledged objects', async () => {
    const large = ['x-1.bin', 'x-2.bin', 'x-3.bin', 'x-4.bin'];
    for (const name of large) write(name, LARGE);
    write('old.txt', 10);
    const peer = new InMemoryPeer({ userKey, context });
    await syncOnce(peer, root, ['old.txt']);

    const secondRun = peer.events.length;
    peer.failUpload = (storedPath) => (storedPath === storedNameFor('x-3.bin') ? new Error('the link dropped') : undefined);
    unlinkSync(path.join(root, 'old.txt'));
    await assert.rejects(syncOnce(peer, root, large), /the link dropped/);

    const events = peer.events.slice(secondRun);
    assert.equal(events.filter((event) => event.kind === 'delete').length, 0);
    assert.ok(peer.objects.has(storedNameFor('old.txt')));
    assert.equal(peer.objects.has(storedNameFor('x-3.bin')), false);
    assert.equal(peer.firstManifestAheadOfData(), undefined);
    const checkpoints = events.filter((event) => event.kind === 'manifest');
    assert.ok(checkpoints.length >= 1, 'no checkpoint was written for the files that arrived');
    // each still lists the file the plan deletes: none is a final manifest
    for (const checkpoint of checkpoints) assert.ok(listed(checkpoint).includes('old.txt'), `generation ${checkpoint.generation} reads as a final manifest`);
  });

  it('gives the hash cache what the upload hashed at each checkpoint, before the manifest that lists it, not all at the end', async () => {
    const names = ['h-1.txt', 'h-2.txt', 'h-3.txt'];
    // older than the racy window: their hashes may be cached
    for (const name of names) {
      write(name, 64);
      utimesSync(path.join(root, name), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    }
    const peer = new InMemoryPeer({ userKey, context });
    const applied: { rows: string[]; manifestsBefore: number }[] = [];
    const hashes = {
      apply: (_shareId: number, changes: { upsert: Iterable<{ relPath: string }>; remove: Iterable<string> }) => {
        applied.push({ rows: [...changes.upsert].map((row) => row.relPath), manifestsBefore: peer.manifests.length });
      },
    };
    await syncOnce(peer, root, names, hashes);
    // a checkpoint after every acknowledged file: the rows go in more than one write, each file once
    assert.ok(applied.length >= 2, `${applied.length} writes to the hash cache`);
    assert.deepEqual(applied.flatMap((write) => write.rows).sort(), names);
    // the first rows went before the first manifest (with the checkpoint that follows their arrival)
    assert.equal(applied[0]?.manifestsBefore, 0);
  });

  it('reports the files that arrived once per acknowledged batch, not once per file, and ends at every file and byte sent', async () => {
    const names = Array.from({ length: 40 }, (_, index) => `p-${index}.txt`);
    for (const name of names) write(name, 64);
    write('p-big.bin', LARGE);
    const reports: { filesDone?: number; bytesDone?: number }[] = [];
    const peer = new InMemoryPeer({ userKey, context });
    const done = await runPlanOnce(
      { peer, root, relPaths: [...names, 'p-big.bin'], userKey, context },
      { onProgress: (update) => void (update.filesDone === undefined ? undefined : reports.push(update)) },
    );
    assert.equal(done.filesUploaded, 41);
    // the forty small files in one batch: one report for them, one for the large file
    assert.deepEqual(reports.slice(1).map((report) => report.filesDone), [40, 41]);
    assert.equal(reports.at(-1)?.bytesDone, 40 * 64 + LARGE);
  });

  it('takes the small uploads out of the plan it was given (not held to the end of the run), and still sends and lists each one', async () => {
    const names = ['t-1.txt', 't-2.txt', 't-3.txt'];
    for (const name of names) write(name, 32);
    const plan = planShareSync({ local: localState(root, names), remote: null, shareLabel: 'alice/backup', unread: [], shareMissing: false });
    const peer = new InMemoryPeer({ userKey, context });
    const done = await runPlanOnce({ peer, root, relPaths: names, userKey, context }, { plan });
    assert.deepEqual(plan.uploads.small, []);
    assert.deepEqual(done.sent.map((file) => file.relPath).sort(), names);
    assert.deepEqual(listed(peer.manifests.at(-1)), names);
  });

  it('lists only the first files acknowledged for the history, and still counts, records and sends every one', async () => {
    const names = ['h-1.txt', 'h-2.txt', 'h-3.txt', 'h-4.txt', 'h-5.txt'];
    for (const name of names) write(name, 40);
    const peer = new InMemoryPeer({ userKey, context });
    const done = await runPlanOnce({ peer, root, relPaths: names, userKey, context }, { sentListed: 2 });
    assert.equal(done.filesUploaded, 5);
    assert.equal(done.sent.length, 2);
    for (const file of done.sent) assert.ok(names.includes(file.relPath) && file.bytes === 40, file.relPath);
    assert.deepEqual(listed(peer.manifests.at(-1)), names);
  });
  describe('large files sent while the last batch awaits its acknowledgement, and runs that end with uploads in flight', () => {
    const big = (name: string) => `file ${storedNameFor(name)}`;
    const writeRun = (prefix: string, large: number) => {
      const small = ['a', 'b', 'c'].map((name) => `${prefix}-${name}.txt`);
      for (const name of small) write(name, 100);
      const bigs = Array.from({ length: large }, (_, index) => `${prefix}-big-${index}.bin`);
      for (const name of bigs) write(name, LARGE);
      return { small, bigs };
    };

    it('starts a large file before the batch is acknowledged, and lists both only once the peer acknowledged each', async () => {
      const { small, bigs } = writeRun('o', 1);
      const peer = new HeldPeer({ userKey, context });
      // the peer acknowledges the batch only once the large file arrived (at the latest after a while)
      peer.answerBatch = async () => {
        await atLatest(peer.logged(`${big(bigs[0] as string)} acknowledged`));
        return undefined;
      };
      const done = await syncOnce(peer, root, [...small, ...bigs]);
      assert.equal(done.filesUploaded, 4);
      assert.deepEqual(peer.log, ['batch started', `${big(bigs[0] as string)} started`, `${big(bigs[0] as string)} acknowledged`, 'batch acknowledged']);
      assert.equal(peer.firstManifestAheadOfData(), undefined);
      // a checkpoint for the large file alone, before the batch's files arrived
      assert.deepEqual(listed(peer.manifests[0]), bigs);
      assert.deepEqual(listed(peer.manifests.at(-1)), [...small, ...bigs].sort());
    });

    it('a batch that fails stops the large files: none starts after it, and the run throws only once the one in flight ended', async () => {
      const { small, bigs } = writeRun('f', 3);
      write('f-old.txt', 10);
      const peer = new HeldPeer({ userKey, context });
      await syncOnce(peer, root, ['f-old.txt']);
      unlinkSync(path.join(root, 'f-old.txt'));
      const firstRun = peer.events.length;
      peer.log.length = 0;
      peer.answerBatch = async () => {
        // both large files in flight when the batch fails
        await atLatest(Promise.all(bigs.slice(0, 2).map((name) => peer.logged(`${big(name)} started`))));
        return new Error('the batch failed');
      };
      peer.answerFile = () => delay(200).then(() => undefined);
      const error = await failureWithNothingInFlight(peer, syncOnce(peer, root, [...small, ...bigs]));
      assert.match(error.message, /the batch failed/);
      assert.ok(peer.log.includes(`${big(bigs[0] as string)} started`), peer.log.join(', '));
      assert.ok(!peer.log.includes(`${big(bigs[2] as string)} started`), `a large file started after the batch failed: ${peer.log.join(', ')}`);
      const events = peer.events.slice(firstRun);
      assert.equal(events.filter((event) => event.kind === 'delete').length, 0);
      assert.equal(peer.firstManifestAheadOfData(), undefined);
      // no final manifest: each one written still lists the file the plan deletes, none lists a small file
      for (const manifest of peer.manifests.slice(1)) {
        assert.ok(listed(manifest).includes('f-old.txt'));
        for (const name of small) assert.ok(!listed(manifest).includes(name));
      }
    });

    it('a batch that fails aborts the large file on its way: the run does not wait for the rest of its upload', async () => {
      const { small, bigs } = writeRun('x', 1);
      const peer = new HeldPeer({ userKey, context });
      peer.answerBatch = async () => {
        await atLatest(peer.logged(`${big(bigs[0] as string)} started`));
        return new Error('the batch failed');
      };
      // a long upload: its body ends only after 10 s, unless the sender destroys it (a client's request fails with it)
      peer.answerFile = (_storedPath, body) => Promise.race([new Promise<Error>((resolve) => body.once('error', resolve)), delay(10_000).then(() => undefined)]);
      const error = await failureWithNothingInFlight(peer, syncOnce(peer, root, [...small, ...bigs]));
      assert.match(error.message, /the batch failed/);
      assert.deepEqual(peer.log, ['batch started', `${big(bigs[0] as string)} started`, 'batch failed', `${big(bigs[0] as string)} failed`]);
    });

    it('a large file that fails ends the run only once the batch in flight was acknowledged, and its files are listed by no final manifest', async () => {
      const { small, bigs } = writeRun('l', 1);
      const peer = new HeldPeer({ userKey, context });
      peer.answerFile = async () => new Error('the link dropped');
      peer.answerBatch = async () => {
        await atLatest(peer.logged(`${big(bigs[0] as string)} failed`));
        await delay(100);
        return undefined;
      };
      const error = await failureWithNothingInFlight(peer, syncOnce(peer, root, [...small, ...bigs]));
      assert.match(error.message, /the link dropped/);
      assert.deepEqual(peer.log, ['batch started', `${big(bigs[0] as string)} started`, `${big(bigs[0] as string)} failed`, 'batch acknowledged']);
      assert.equal(peer.firstManifestAheadOfData(), undefined);
      for (const manifest of peer.manifests) assert.ok(!listed(manifest).includes(bigs[0] as string));
    });

    it('a cancelled run throws its reason once the batch and the large file in flight ended, and starts no other', async () => {
      const { small, bigs } = writeRun('c', 3);
      const peer = new HeldPeer({ userKey, context });
      const cancel = new AbortController();
      peer.answerBatch = async () => {
        await atLatest(peer.logged(`${big(bigs[0] as string)} started`));
        cancel.abort(new Error('cancelled by the user'));
        await delay(100);
        return undefined;
      };
      peer.answerFile = () => delay(200).then(() => undefined);
      const run = runPlanOnce({ peer, root, relPaths: [...small, ...bigs], userKey, context }, { signal: cancel.signal });
      const error = await failureWithNothingInFlight(peer, run);
      assert.match(error.message, /cancelled by the user/);
      assert.ok(!peer.log.includes(`${big(bigs[2] as string)} started`), peer.log.join(', '));
      assert.equal(peer.manifests.length, 0, 'a manifest was written after the cancellation');
    });

    it('a run cancelled while its small files are sent throws only once no batch is in flight', async () => {
      // near 1 MiB each: a few files a batch, several batches
      const small = Array.from({ length: 12 }, (_, index) => `s-${index}.bin`);
      for (const name of small) write(name, SMALL_FILE_MAX_BYTES - 1000);
      const peer = new HeldPeer({ userKey, context });
      const cancel = new AbortController();
      let batch = 0;
      let secondStarted = () => undefined as void;
      const second = new Promise<void>((resolve) => (secondStarted = resolve));
      peer.answerBatch = async () => {
        batch += 1;
        if (batch === 2) secondStarted();
        if (batch === 1) {
          // cancelled while the first batch awaits its answer and the second is on its way
          await atLatest(second);
          cancel.abort(new Error('cancelled by the user'));
        }
        await delay(100);
        return undefined;
      };
      const run = runPlanOnce({ peer, root, relPaths: small, userKey, context }, { signal: cancel.signal });
      const error = await failureWithNothingInFlight(peer, run);
      assert.match(error.message, /cancelled by the user/);
      assert.ok(batch >= 2, `${batch} batches sent`);
      assert.equal(peer.firstManifestAheadOfData(), undefined);
    });

    it('a refused batch is sent again one file at a time while a large file streams; only the refused file is left out', async () => {
      const { small, bigs } = writeRun('r', 1);
      const peer = new HeldPeer({ userKey, context });
      peer.failUpload = (storedPath) => (storedPath === storedNameFor(small[1] as string) ? Object.assign(new Error('The peer refused a file path'), { code: 'PATH_INVALID' }) : undefined);
      peer.answerBatch = async () => {
        await atLatest(peer.logged(`${big(bigs[0] as string)} started`));
        return undefined;
      };
      const done = await syncOnce(peer, root, [...small, ...bigs]);
      assert.deepEqual(done.skipped.map((file) => file.relPath), [small[1]]);
      assert.equal(done.filesUploaded, 3);
      assert.ok(peer.log.indexOf(`${big(bigs[0] as string)} started`) < peer.log.indexOf('batch failed'), peer.log.join(', '));
      assert.deepEqual(listed(peer.manifests.at(-1)), [small[0], small[2], ...bigs].sort());
      assert.equal(peer.firstManifestAheadOfData(), undefined);
    });
  });
});
