import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser, pairPeer, startNamedServer, storedFiles, syncAndWait, waitForLogs, writeFiles, type ClusterServer, type SyncLog } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

const FILES = 20;
const names = Array.from({ length: FILES }, (_, index) => `docs/report-${String(index).padStart(2, '0')}.docx`);

describe('the ransomware tripwire between two real servers', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; key: Buffer; backupShareId: number };
  let aliceBackup: string;
  let onB: string;

  const overwrite = (relPaths: string[]) => writeFiles(aliceBackup, Object.fromEntries(relPaths.map((relPath) => [relPath, randomBytes(3000)])));
  const sync = async (): Promise<SyncLog> => {
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.ok(log);
    return log;
  };
  const confirm = async (held: SyncLog): Promise<SyncLog> => {
    const confirmed = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: held.id });
    assert.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
    const [log] = await waitForLogs(a.admin, [confirmed.body.started[0].logId]);
    assert.ok(log);
    return log;
  };

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    aliceBackup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    onB = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    await pairPeer(a, b, 'password of b');
    await overwrite(names);
    assert.equal((await sync()).status, 'success');
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
  });

  it('holds a sync that rewrites 12 of 20 files, sends nothing, shows it on the dashboard, and sends once confirmed', async () => {
    const before = await storedFiles(onB);
    await overwrite(names.slice(0, 12));
    const held = await sync();
    assert.equal(held.status, 'failure');
    assert.equal(held.errorCode, 'RANSOMWARE_TRIPWIRE');
    assert.match(held.error ?? '', /^12 of the 20 files of alice\/backup would be rewritten at once \(12 changed in place\)/);
    assert.match(held.hint ?? '', /confirms them on the dashboard/);
    assert.equal(held.fileCount, 0);
    assert.deepEqual(await storedFiles(onB), before, 'the peer received nothing, not even a manifest');

    const dashboard = await a.admin.get('/api/dashboard');
    const shown = dashboard.body.recentFailures.find((failure: { id: number }) => failure.id === held.id);
    assert.equal(shown?.errorCode, 'RANSOMWARE_TRIPWIRE');
    assert.equal(`${shown?.user}/${shown?.share} → ${shown?.peer}`, 'alice/backup → server-b');
    assert.match(shown?.error ?? '', /12 of the 20 files/);

    const sent = await confirm(held);
    assert.equal(sent.status, 'success', JSON.stringify(sent));
    assert.equal(sent.fileCount, 12);
    const after = await storedFiles(onB);
    const rewritten = names.slice(0, 12).filter((relPath) => !after.get(`${relPath}.enc`)?.equals(before.get(`${relPath}.enc`) ?? Buffer.alloc(0)));
    assert.equal(rewritten.length, 12, 'the peer holds the new versions');
    const used = await a.admin.post('/api/admin/sync/confirm-deletions', { logId: held.id });
    assert.equal(used.body.error?.code, 'CONFIRMATION_STALE');
  });

  it('lets a normal edit of a few files through', async () => {
    await overwrite(names.slice(15, 18));
    const log = await sync();
    assert.equal(log.status, 'success', JSON.stringify(log));
    assert.equal(log.fileCount, 3);
  });

  it('holds renames to .locked as a rewrite, not as a mass deletion, and renames them on the peer once confirmed', async () => {
    const locked = names.slice(0, 11);
    for (const relPath of locked) await rename(path.join(aliceBackup, relPath), path.join(aliceBackup, `${relPath}.locked`));
    await overwrite(locked.map((relPath) => `${relPath}.locked`));
    const held = await sync();
    assert.equal(held.errorCode, 'RANSOMWARE_TRIPWIRE', JSON.stringify(held));
    assert.match(held.error ?? '', /11 renamed to another extension/);
    assert.ok(!(await storedFiles(onB)).has(`${locked[0]}.locked.enc`), 'nothing was sent');

    const sent = await confirm(held);
    assert.equal(sent.status, 'success', JSON.stringify(sent));
    const stored = await storedFiles(onB);
    for (const relPath of locked) {
      assert.ok(stored.has(`${relPath}.locked.enc`), `${relPath}.locked is on the peer`);
      assert.ok(!stored.has(`${relPath}.enc`), `${relPath} was deleted on the peer, as confirmed`);
    }
  });
});
