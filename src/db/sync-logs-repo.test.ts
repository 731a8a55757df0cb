import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createRepositories, openDatabase } from './index.js';
import { NOT_BACKED_UP_LISTED } from './sync-logs-repo.js';

describe('files a sync run left out', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-sync-logs-'));
  const db = openDatabase(path.join(dir, 'anemone.db'));
  const repos = createRepositories(db);
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (shareId: number, peerId: number) =>
    repos.syncLogs.insertRunning({ userId: 1, username: 'alice', shareId, shareName: 'backup', peerId, peerName: `peer-${peerId}`, startedAt: new Date().toISOString() });
  const finish = (id: number) => repos.syncLogs.finish(id, { status: 'success', finishedAt: new Date().toISOString(), fileCount: 1, bytesTransferred: 1 });

  it('keeps the full count and a bounded list per run', () => {
    const id = run(1, 1);
    const files = Array.from({ length: NOT_BACKED_UP_LISTED + 500 }, (_, index) => ({ relPath: `f${index}`, reason: 'cannot be read' }));
    repos.syncLogs.recordNotBackedUp(id, files);
    finish(id);
    assert.equal(repos.syncLogs.findById(id)?.notBackedUp, NOT_BACKED_UP_LISTED + 500);
    const listed = repos.syncLogs.notBackedUpFiles(id);
    assert.equal(listed.length, NOT_BACKED_UP_LISTED);
    assert.deepEqual(listed[0], { relPath: 'f0', reason: 'cannot be read' });
  });

  it('names a share on the dashboard until a later run to that peer leaves nothing out', () => {
    const first = run(2, 1);
    repos.syncLogs.recordNotBackedUp(first, [{ relPath: 'a', reason: 'x' }]);
    finish(first);
    assert.equal(repos.syncLogs.lastRunNotBackedUpByShare().get(2)?.logId, first);
    finish(run(2, 1));
    assert.equal(repos.syncLogs.lastRunNotBackedUpByShare().get(2), undefined);
  });
});
