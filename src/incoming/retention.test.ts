import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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

  it('removes versions older than keepVersionsDays, keeps younger ones, and the space figures follow', async () => {
    const root = await mkdtemp(path.join(dir, 'incoming-'));
    let now = new Date('2026-03-01T10:00:00.000Z');
    const clock = () => now;
    const historyRepo = new IncomingHistoryRepo(db);
    const history = new ShareHistory({ files: new FsHistoryFiles(root), repo: historyRepo, now: clock, keepVersionsDays: () => 10 });
    const store = new FsIncomingStore({ root, repo: new IncomingRepo(db), history, now: clock });
    const pruner = new HistoryPruner({ repo: historyRepo, history, now: clock, logger: pino({ level: 'silent' }) });
    const ref = { source: 'server-a', user: 'alice', share: 'backup' };
    let generation = 0;
    /** One day's sync: a.enc rewritten with `size` random bytes, then a commit. */
    const daily = async (size: number) => {
      const bytes = randomBytes(size);
      await store.putFile(ref, 'a.enc', Readable.from([bytes]), { hex: sha(bytes) });
      generation += 1;
      const manifest = randomBytes(100);
      await store.putManifest(ref, Readable.from([manifest]), { hex: sha(manifest) }, generation);
      return bytes;
    };

    const versions: Buffer[] = [];
    for (let day = 0; day < 15; day++) {
      versions.push(await daily(1000 + day));
      now = new Date(now.getTime() + DAY);
    }
    const historyBytes = () => historyRepo.historyBytes(ref);
    const before = historyBytes();
    const planned = pruner.plan(ref);
    assert.ok(planned.bytes > 0, 'the next prune would free something');

    const freed = await pruner.prune();
    assert.deepEqual(freed, { files: planned.files, bytes: planned.bytes }, 'the prune frees what the plan said');
    assert.equal(historyBytes(), before - freed.bytes, 'the space figures follow');
    assert.deepEqual(pruner.plan(ref).files, 0, 'nothing left to prune until time moves');

    const readable = async (bytes: Buffer) => {
      try {
        (await store.openFile(ref, 'a.enc', sha(bytes))).stream.destroy();
        return true;
      } catch (error) {
        if (error instanceof AnemoneError && error.code === 'NOT_FOUND') return false;
        throw error;
      }
    };
    // day 14 is current; the snapshots of days 5 to 13 are at most 10 days old (each the last of its day); 0 to 4 are older
    for (let day = 0; day < 15; day++) assert.equal(await readable(versions[day] as Buffer), day >= 5, `the version of day ${day}`);
    const listed = store.listSnapshots(ref).map((snapshot) => snapshot.generation);
    assert.deepEqual(listed, [15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);

    now = new Date(now.getTime() + 30 * DAY);
    await pruner.prune();
    assert.equal(await readable(versions[14] as Buffer), true, 'the current state is never pruned');
    assert.equal(await readable(versions[13] as Buffer), false);
    assert.deepEqual(store.listSnapshots(ref).map((snapshot) => snapshot.generation), [15]);
    assert.equal(historyBytes(), 0, 'no history is left past the retention');
  });
});
