import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createRepositories, openDatabase, RUN_ENTRIES_LISTED } from './index.js';

describe('the files each sync run sent and deleted', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-sync-history-'));
  const db = openDatabase(path.join(dir, 'anemone.db'));
  const repos = createRepositories(db);
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (startedAt: string) =>
    repos.syncLogs.insertRunning({ userId: 1, username: 'alice', shareId: 1, shareName: 'backup', peerId: 1, peerName: 'b', startedAt });

  it('keeps the count of deletions and a bounded list of each action', () => {
    const id = run(new Date().toISOString());
    const sent = Array.from({ length: RUN_ENTRIES_LISTED + 5 }, (_, index) => ({ relPath: `s${String(index).padStart(6, '0')}`, bytes: index }));
    repos.syncHistory.recordEntries(id, { sent, deleted: ['gone-1', 'gone-2'] });
    const entries = repos.syncHistory.entries(id);
    assert.equal(entries.filter((entry) => entry.action === 'sent').length, RUN_ENTRIES_LISTED);
    assert.deepEqual(
      entries.filter((entry) => entry.action === 'deleted').map((entry) => entry.relPath),
      ['gone-1', 'gone-2'],
    );
    assert.equal(repos.syncLogs.findById(id)?.filesDeleted, 2);
  });

  it('prunes the lists of old runs, sent and skipped, and keeps the runs', () => {
    const old = run('2026-01-01T00:00:00.000Z');
    repos.syncHistory.recordEntries(old, { sent: [{ relPath: 'x', bytes: 1 }], deleted: ['y'] });
    repos.syncLogs.recordNotBackedUp(old, [{ relPath: 'z', reason: 'cannot be read' }]);
    assert.equal(repos.syncHistory.entries(old).length, 3);
    assert.equal(repos.syncHistory.pruneEntriesBefore('2026-02-01T00:00:00.000Z'), 3);
    assert.deepEqual(repos.syncHistory.entries(old), []);
    assert.equal(repos.syncLogs.findById(old)?.filesDeleted, 1, 'the counts stay');
  });
});
