import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InMemoryPeer, type PeerEvent } from '../../test/helpers/in-memory-peer.js';
import { localState, runPlanOnce } from '../../test/helpers/plan-run.js';
import { storedNameFor } from '../manifest/stored-names.js';
import type { ExecutePlanInput, ExecutePlanResult } from './execute-plan.js';
import { planShareSync, SMALL_FILE_MAX_BYTES } from './plan-share.js';

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
});
