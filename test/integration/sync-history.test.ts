import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer, type SyncLog } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

interface PageRow extends SyncLog {
  foldedRuns: number;
  filesDeleted: number;
}

interface Page {
  logs: PageRow[];
  total: number;
  offset: number;
  limit: number;
}

interface Entry {
  action: 'sent' | 'deleted' | 'skipped';
  key: string;
  path: string;
  bytes: number | null;
  reason: string | null;
}

/**
 * The sync log as history between two real servers: paging with a total,
 * filters, quiet runs folded per day, each run's files (JSON and CSV), and
 * the overview's history (share sizes, bytes sent per day, free space, what
 * a peer stores for others).
 */
describe('sync history', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; backupShareId: number };
  let bob: { client: ApiClient; backupShareId: number };
  let first: SyncLog;
  let changed: SyncLog;
  const runs: SyncLog[] = [];
  const aliceShare = () => path.join(a.test.dataDir, 'shares', 'alice', 'backup');

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    bob = await createUser(a, 'bob');
    await pairPeer(a, b, 'password of b');
    // a name a spreadsheet would take for a formula, with a comma and a quote in it
    await writeFiles(aliceShare(), { 'a.txt': 'alpha', 'docs/b.txt': 'bravo!', '=sum(1,2) "x".txt': 'formula' });
    [first] = (await syncAndWait(alice.client, a.admin, alice.backupShareId)) as [SyncLog];
    runs.push(first);
    // three runs that change nothing
    for (let index = 0; index < 3; index += 1) runs.push(...(await syncAndWait(alice.client, a.admin, alice.backupShareId)));
    await rm(path.join(aliceShare(), 'a.txt'));
    await writeFiles(aliceShare(), { 'c.txt': 'charlie' });
    [changed] = (await syncAndWait(alice.client, a.admin, alice.backupShareId)) as [SyncLog];
    runs.push(changed);
    await writeFiles(path.join(a.test.dataDir, 'shares', 'bob', 'backup'), { 'bob.txt': 'bob' });
    runs.push(...(await syncAndWait(bob.client, a.admin, bob.backupShareId)));
  });
  after(async () => {
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  const page = async (query: string): Promise<Page> => {
    const response = await a.admin.get<Page>(`/api/admin/sync/logs?${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };

  it('pages through every run newest first, with the total', async () => {
    assert.equal(runs.length, 6);
    assert.ok(runs.every((run) => run.status === 'success'));
    const pages = [await page('limit=4'), await page('limit=4&offset=4')];
    assert.deepEqual(
      pages.map((one) => [one.total, one.offset, one.limit, one.logs.length]),
      [
        [6, 0, 4, 4],
        [6, 4, 4, 2],
      ],
    );
    const ids = pages.flatMap((one) => one.logs.map((log) => log.id));
    assert.deepEqual(
      ids,
      runs.map((run) => run.id).sort((x, y) => y - x),
    );
    assert.ok(pages[0]?.logs.every((log) => log.foldedRuns === 1), 'nothing is folded unless asked');
    // the limit and status of before keep working
    assert.deepEqual((await page('limit=1&status=success')).logs.map((log) => log.id), [Math.max(...ids)]);
  });

  it('filters by user, share, peer and status', async () => {
    assert.deepEqual(
      (await page('user=bob')).logs.map((log) => [log.user, log.share, log.peer]),
      [['bob', 'backup', 'server-b']],
    );
    assert.equal((await page('user=alice&share=backup&peer=server-b&status=success')).total, 5);
    assert.equal((await page('peer=elsewhere')).total, 0);
    assert.equal((await page('user=alice&status=failure')).total, 0);
    const refused = await a.admin.get('/api/admin/sync/logs?offset=-1&fold=all');
    assert.equal(refused.status, 400);
    assert.deepEqual(
      refused.body.error.fields.map((field: { path: string }) => field.path).sort(),
      ['fold', 'offset'],
    );
    assert.equal((await alice.client.get('/api/admin/sync/logs')).status, 403);
  });

  it('folds the runs that changed nothing into one line per day, share and peer', async () => {
    const folded = await page('fold=quiet&user=alice');
    assert.equal(folded.total, 3);
    assert.deepEqual(
      folded.logs.map((log) => [log.fileCount, log.filesDeleted, log.foldedRuns]),
      [
        [1, 1, 1],
        [0, 0, 3],
        [3, 0, 1],
      ],
    );
    // the folded line is the latest of its runs, so paging stays in order
    assert.equal(folded.logs[1]?.id, runs[3]?.id);
    assert.deepEqual((await page('fold=quiet&user=alice&limit=1&offset=1')).logs.map((log) => log.foldedRuns), [3]);
  });

  it('lists what a run sent, with sizes, and what it deleted', async () => {
    const sent = await a.admin.get<{ entries: Entry[]; unlisted: Record<string, number> }>(`/api/admin/sync/logs/${first.id}/entries`);
    assert.equal(sent.status, 200);
    assert.deepEqual(
      sent.body.entries.map((entry) => [entry.action, entry.path, entry.bytes]),
      [
        ['sent', '=sum(1,2) "x".txt', 7],
        ['sent', 'a.txt', 5],
        ['sent', 'docs/b.txt', 6],
      ],
    );
    assert.deepEqual(sent.body.unlisted, { sent: 0, deleted: 0, skipped: 0 });

    const second = await a.admin.get<{ entries: Entry[] }>(`/api/admin/sync/logs/${changed.id}/entries`);
    assert.deepEqual(
      second.body.entries.map((entry) => [entry.action, entry.path, entry.bytes]),
      [
        ['sent', 'c.txt', 7],
        ['deleted', 'a.txt', null],
      ],
    );
    const quiet = await a.admin.get<{ entries: Entry[] }>(`/api/admin/sync/logs/${runs[1]?.id}/entries`);
    assert.deepEqual(quiet.body.entries, []);
    assert.equal((await a.admin.get('/api/admin/sync/logs/999999/entries')).status, 404);
    assert.equal((await alice.client.get(`/api/admin/sync/logs/${first.id}/entries`)).status, 403);
  });

  it('downloads the list as CSV a spreadsheet cannot mistake for formulas', async () => {
    const csv = await a.admin.get<string>(`/api/admin/sync/logs/${first.id}/entries.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal(csv.headers.get('content-disposition'), `attachment; filename="sync-run-${first.id}.csv"`);
    assert.equal(
      csv.body,
      'action,path,bytes,reason\r\n' + '"sent","\'=sum(1,2) ""x"".txt","7",""\r\n' + '"sent","a.txt","5",""\r\n' + '"sent","docs/b.txt","6",""\r\n',
    );
    assert.equal((await a.admin.get('/api/admin/sync/logs/999999/entries.csv')).status, 404);
  });

  it("charts each share's size per day and the bytes sent per day", async () => {
    const history = await a.admin.get(`/api/admin/stats/history?days=30`);
    assert.equal(history.status, 200);
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(
      history.body.shares.map((share: { user: string; share: string; samples: { day: string; files: number; bytes: number }[] }) => [share.user, share.share, share.samples]),
      [
        // the day's last scan: b, c and the formula file after a.txt was deleted
        ['alice', 'backup', [{ day: today, files: 3, bytes: 6 + 7 + 7 }]],
        ['bob', 'backup', [{ day: today, files: 1, bytes: 3 }]],
      ],
    );
    const allSent = runs.reduce((sum, run) => sum + run.bytesTransferred, 0);
    assert.ok(allSent > 0);
    assert.deepEqual(history.body.bytesSentPerDay, [{ day: today, bytes: allSent, runs: 6 }]);

    const own = await bob.client.get('/api/stats/history');
    assert.equal(own.status, 200);
    assert.deepEqual(
      own.body.shares.map((share: { user: string }) => share.user),
      ['bob'],
    );
    assert.deepEqual(own.body.bytesSentPerDay, [{ day: today, bytes: runs[5]?.bytesTransferred, runs: 1 }]);
    assert.equal(own.body.disks, undefined, 'free space and peers are for administrators');
    assert.equal((await bob.client.get('/api/admin/stats/history')).status, 403);
    assert.equal((await a.admin.get('/api/admin/stats/history?days=0')).status, 400);
  });

  it('tells the free space of the shares and incoming folders, and what a peer stores for others against its quota', async () => {
    const history = (await a.admin.get('/api/admin/stats/history')).body;
    assert.deepEqual(
      history.disks.map((disk: { folder: string }) => disk.folder),
      ['shares', 'incoming'],
    );
    for (const disk of history.disks as { freeBytes: number; totalBytes: number }[]) {
      assert.ok(disk.totalBytes > 0 && disk.freeBytes > 0 && disk.freeBytes <= disk.totalBytes, JSON.stringify(disk));
    }
    assert.deepEqual(history.incoming, [], 'server-a stores nothing for others');

    const limited = await b.admin.request('PATCH', '/api/admin/incoming/server-a', { maxBytes: 1_000_000 });
    assert.equal(limited.status, 200);
    const onPeer = (await b.admin.get('/api/admin/stats/history')).body;
    const overview = (await b.admin.get('/api/admin/incoming')).body;
    assert.deepEqual(onPeer.incoming, [{ source: 'server-a', bytesStored: overview.bytesUsed + overview.versionBytes, maxBytes: 1_000_000 }]);
    assert.ok(onPeer.incoming[0].bytesStored > 0);
    assert.deepEqual(onPeer.shares, [], 'the peer has no shares of its own synced');
  });
});
