import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../db/index.js';
import { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import { IncomingRepo } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import pino from 'pino';
import { HistoryPruner } from './history-pruner.js';
import { keptGenerations } from './retention.js';
import { ShareHistory } from './share-history.js';
import { FsHistoryFiles } from './fs-history-files.js';
import { FsIncomingStore } from './fs-store.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The bytes on disk under a folder, each file once: what history really takes. */
async function bytesOnDisk(folder: string): Promise<number> {
  const names = await readdir(folder, { recursive: true }).catch(() => [] as string[]);
  let total = 0;
  for (const name of names) {
    const stats = await stat(path.join(folder, name));
    if (stats.isFile()) total += stats.size;
  }
  return total;
}

describe('keptGenerations (staggered thinning)', () => {
  const now = new Date('2026-06-30T12:00:00.000Z');
  const at = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
  const snapshot = (generation: number, msAgo: number, current = false) => ({ generation, committedAt: at(msAgo), supersededAt: current ? null : at(msAgo - 1) });

  it('keeps every snapshot of the last day, the last of each older day, and the current one', () => {
    const snapshots = [
      snapshot(1, 3 * DAY + 5 * HOUR),
      snapshot(2, 3 * DAY + 2 * HOUR), // the same UTC day as 1, later: it stands for that day
      snapshot(3, 2 * DAY),
      snapshot(4, 20 * HOUR),
      snapshot(5, 2 * HOUR),
      snapshot(6, HOUR, true),
    ];
    assert.deepEqual([...keptGenerations(snapshots, now, 30)].sort((a, b) => a - b), [2, 3, 4, 5, 6]);
  });

  it('keeps the last of each week past 30 days, and nothing older than the retention', () => {
    const snapshots = [snapshot(1, 200 * DAY), snapshot(2, 45 * DAY), snapshot(3, 44 * DAY), snapshot(4, 40 * DAY), snapshot(5, 0, true)];
    const kept = keptGenerations(snapshots, now, 90);
    assert.equal(kept.has(1), false, 'older than 90 days');
    assert.equal(kept.has(5), true);
    // 45 and 44 days ago fall in one week (a Monday-to-Sunday week): only the later stays; 40 days ago is another week
    assert.deepEqual([...kept].sort((a, b) => a - b), [3, 4, 5]);
  });

  it('keeps the current snapshot alone at 0 days', () => {
    assert.deepEqual([...keptGenerations([snapshot(1, HOUR), snapshot(2, 0, true)], now, 0)], [2]);
  });
});

describe('HistoryPruner with an injected clock', () => {
  let dir: string;
  let db: Database;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-retention-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
  });
  after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One share of `source` on a peer keeping 10 days, its clock at `start`; `sync` stores a.enc and commits. */
  async function peerShare(source: string, start: string) {
    const root = await mkdtemp(path.join(dir, 'incoming-'));
    const clock = { now: new Date(start) };
    const now = () => clock.now;
    const historyRepo = new IncomingHistoryRepo(db);
    const history = new ShareHistory({ files: new FsHistoryFiles(root), repo: historyRepo, now, keepVersionsDays: () => 10 });
    const store = new FsIncomingStore({ root, repo: new IncomingRepo(db), history, now });
    const pruner = new HistoryPruner({ repo: historyRepo, history, now, logger: pino({ level: 'silent' }) });
    const ref = { source, user: 'alice', share: 'backup' };
    let generation = 0;
    return {
      ref,
      historyRepo,
      history,
      store,
      pruner,
      wait: (days: number) => {
        clock.now = new Date(clock.now.getTime() + days * DAY);
      },
      /** a.enc becomes `bytes`, then a commit of the next generation. */
      async sync(bytes: Buffer) {
        await store.putFile(ref, 'a.enc', Readable.from([bytes]), { hex: sha(bytes) });
        generation += 1;
        const manifest = randomBytes(100);
        await store.putManifest(ref, Readable.from([manifest]), { hex: sha(manifest) }, generation);
      },
      /** Whether the peer still serves this version of a.enc. */
      async readable(bytes: Buffer) {
        try {
          (await store.openFile(ref, 'a.enc', sha(bytes))).stream.destroy();
          return true;
        } catch (error) {
          if (error instanceof AnemoneError && error.code === 'NOT_FOUND') return false;
          throw error;
        }
      },
    };
  }

  it('deletes a version file that two rows share only with the last of them, and counts its bytes once', async () => {
    const { ref, historyRepo, history, pruner, sync, wait, readable } = await peerShare('server-c', '2026-05-01T10:00:00.000Z');
    // the same ciphertext comes back (a source resending a file it had replaced): X is replaced twice, so two rows name X's one file
    const [x, y, z] = [randomBytes(3000), randomBytes(2000), randomBytes(1000)];
    await sync(x); // generation 1, day 0
    wait(5);
    await sync(y); // generation 2, day 5: X replaced
    wait(5);
    await sync(x); // generation 3, day 10: Y replaced
    wait(5);
    await sync(z); // generation 4, day 15: X replaced again
    wait(2);
    const rowsOfX = historyRepo.listVersions(ref).filter((version) => version.ctSha256 === sha(x));
    assert.equal(rowsOfX.length, 2);
    assert.equal(rowsOfX[0]?.file, rowsOfX[1]?.file, 'both rows name one file');
    const historyFolder = history.historyPath(ref, '.');
    assert.equal(historyRepo.historyBytes(ref), await bytesOnDisk(historyFolder), 'the space figure is what the disk holds: X once');

    // day 17: generation 3 (day 10) is 7 days old and kept, with the X it held; generations 1 and 2 are past 10 days
    const diskBefore = await bytesOnDisk(historyFolder);
    const firstPlan = pruner.plan(ref);
    assert.deepEqual(
      firstPlan.versions.map((version) => version.id),
      [rowsOfX[0]?.id, historyRepo.listVersions(ref).find((version) => version.ctSha256 === sha(y))?.id],
      'the older row of X goes, and Y',
    );
    assert.deepEqual(firstPlan.versionFiles.map((version) => version.size), [y.length], 'X stays on disk: its newer row still names it');
    const firstFreed = await pruner.prune();
    assert.equal(await readable(x), true, 'X is still served by its newer row');
    assert.equal(await readable(y), false);
    assert.equal(diskBefore - (await bytesOnDisk(historyFolder)), firstFreed.bytes, 'the prune freed what it said, X not counted');
    assert.equal(historyRepo.historyBytes(ref), await bytesOnDisk(historyFolder), 'the space figure follows the disk');

    // 30 days on, generation 3 is past the retention too: the last row of X goes, and its file with it
    wait(30);
    const diskBetween = await bytesOnDisk(historyFolder);
    const secondPlan = pruner.plan(ref);
    assert.deepEqual(secondPlan.versionFiles.map((version) => version.size), [x.length]);
    const secondFreed = await pruner.prune();
    assert.equal(await readable(x), false, 'the file of X is gone with its last row');
    assert.equal(diskBetween - (await bytesOnDisk(historyFolder)), secondFreed.bytes);
    assert.equal(await bytesOnDisk(historyFolder), 0);
    assert.equal(historyRepo.historyBytes(ref), 0);
    assert.deepEqual(await readdir(path.join(historyFolder, 'objects'), { recursive: true }).then((names) => names.filter((name) => name.endsWith('.enc'))), []);
  });

  it('removes versions older than keepVersionsDays, keeps younger ones, and the space figures follow', async () => {
    const { ref, historyRepo, store, pruner, sync, wait, readable } = await peerShare('server-a', '2026-03-01T10:00:00.000Z');
    // one sync a day, a.enc rewritten each time
    const versions: Buffer[] = [];
    for (let day = 0; day < 15; day++) {
      versions.push(randomBytes(1000 + day));
      await sync(versions[day] as Buffer);
      wait(1);
    }
    const historyBytes = () => historyRepo.historyBytes(ref);
    const before = historyBytes();
    const planned = pruner.plan(ref);
    assert.ok(planned.bytes > 0, 'the next prune would free something');

    const freed = await pruner.prune();
    assert.deepEqual(freed, { files: planned.files, bytes: planned.bytes }, 'the prune frees what the plan said');
    assert.equal(historyBytes(), before - freed.bytes, 'the space figures follow');
    assert.deepEqual(pruner.plan(ref).files, 0, 'nothing left to prune until time moves');

    // day 14 is current; the snapshots of days 5 to 13 are at most 10 days old (each the last of its day); 0 to 4 are older
    for (let day = 0; day < 15; day++) assert.equal(await readable(versions[day] as Buffer), day >= 5, `the version of day ${day}`);
    const listed = store.listSnapshots(ref).map((snapshot) => snapshot.generation);
    assert.deepEqual(listed, [15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);

    wait(30);
    await pruner.prune();
    assert.equal(await readable(versions[14] as Buffer), true, 'the current state is never pruned');
    assert.equal(await readable(versions[13] as Buffer), false);
    assert.deepEqual(store.listSnapshots(ref).map((snapshot) => snapshot.generation), [15]);
    assert.equal(historyBytes(), 0, 'no history is left past the retention');
  });
});
