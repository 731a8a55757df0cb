import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/** The sessions B's log says it opened for a source (each one cost a scrypt check of the server password). */
async function sessionsOpened(server: ClusterServer, source: string): Promise<number> {
  const log = await readFile(path.join(server.test.dataDir, 'logs', 'anemone.log'), 'utf8').catch(() => '');
  return log
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { msg?: string; source?: string })
    .filter((entry) => entry.msg === 'incoming sync session opened' && entry.source === source).length;
}

/** Waits for the log file (written asynchronously) to show `count` sessions, and returns what it shows then. */
async function waitForSessions(server: ClusterServer, source: string, count: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const seen = await sessionsOpened(server, source);
    if (seen >= count || Date.now() > deadline) return seen;
    await delay(50);
  }
}

describe('sync sessions: the peer password is checked once per session, not once per sync', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; backupShareId: number };
  let peerId: number;

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'first password', logLevel: 'info' })]);
    alice = await createUser(a, 'alice');
    peerId = await pairPeer(a, b, 'first password');
  });
  after(async () => {
    await Promise.all([a.test.stop(), b.test.stop()]);
  });

  it('reuses the session Test Connection opened for the syncs that follow', async () => {
    assert.equal(await waitForSessions(b, 'server-a', 1), 1, 'Test Connection opened one session');
    const backup = path.join(a.test.server.config.sharesDir, 'alice', 'backup');
    await writeFiles(backup, { 'one.txt': 'one' });
    const [first] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(first?.status, 'success');
    await writeFiles(backup, { 'two.txt': 'two' });
    const [second] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(second?.status, 'success');
    assert.equal(second?.fileCount, 1);
    assert.equal(await sessionsOpened(b, 'server-a'), 1, 'two syncs later, still the one session');
  });

  it('ends every session when the receiver changes its password: the old one gets 401 until the source is updated', async () => {
    const changed = await b.admin.request('PUT', '/api/admin/settings/sync', { password: 'second password' });
    assert.equal(changed.status, 200);

    const [refused] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(refused?.status, 'failure');
    assert.equal(refused?.errorCode, 'PEER_UNAUTHORIZED');
    assert.match(refused?.hint ?? '', /password/i);

    const updated = await a.admin.request('PATCH', `/api/admin/peers/${peerId}`, { password: 'second password' });
    assert.equal(updated.status, 200);
    await writeFiles(path.join(a.test.server.config.sharesDir, 'alice', 'backup'), { 'three.txt': 'three' });
    const [accepted] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(accepted?.status, 'success');
    assert.equal(await waitForSessions(b, 'server-a', 2), 2, 'a new session, opened with the new password');
  });
});
