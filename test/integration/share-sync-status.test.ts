import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser, pairPeer, startNamedServer, waitForLogs, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';
import type { ApiClient } from '../helpers/test-server.js';

/** GET /api/shares/:id/sync: what the owner of a share, admin or not, sees of its syncs (the web UI's live progress). */
describe("a share's own sync status, for its owner", () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let alice: { client: ApiClient; backupShareId: number };
  let bob: { client: ApiClient; backupShareId: number };

  before(async () => {
    [a, b] = await Promise.all([startNamedServer('server-a'), startNamedServer('server-b', { acceptPassword: 'password of b' })]);
    alice = await createUser(a, 'alice');
    bob = await createUser(a, 'bob');
    await pairPeer(a, b, 'password of b');
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'a.txt': 'alpha' });
  });
  after(async () => {
    await Promise.all([a?.test.stop(), b?.test.stop()]);
  });

  it('shows the runs its Sync started, to a user who is no administrator', async () => {
    const started = await alice.client.post(`/api/shares/${alice.backupShareId}/sync`);
    assert.equal(started.status, 202);
    const logIds: number[] = started.body.started.map((run: { logId: number }) => run.logId);
    await waitForLogs(a.admin, logIds);

    const status = await alice.client.get(`/api/shares/${alice.backupShareId}/sync?logIds=${logIds.join(',')}`);
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.running, []);
    assert.deepEqual(
      status.body.runs.map((run: { id: number; user: string; share: string; peer: string; status: string; fileCount: number }) => [run.id, run.user, run.share, run.peer, run.status, run.fileCount]),
      [[logIds[0], 'alice', 'backup', 'server-b', 'success', 1]],
    );
    assert.equal((await alice.client.get('/api/admin/sync/logs')).status, 403, 'the admin logs stay closed to her');
  });

  it("reveals nothing of another user's share or runs", async () => {
    const logs = (await a.admin.get('/api/admin/sync/logs')).body.logs as { id: number }[];
    assert.equal((await bob.client.get(`/api/shares/${alice.backupShareId}/sync`)).status, 404);
    const own = await bob.client.get(`/api/shares/${bob.backupShareId}/sync?logIds=${logs.map((log) => log.id).join(',')}`);
    assert.equal(own.status, 200);
    assert.deepEqual(own.body, { running: [], runs: [] }, "alice's log ids are not bob's runs");
  });

  it('refuses a malformed list of log ids, naming the field', async () => {
    const response = await alice.client.get(`/api/shares/${alice.backupShareId}/sync?logIds=1,x`);
    assert.equal(response.status, 400);
    assert.deepEqual(
      response.body.error.fields.map((field: { path: string }) => field.path),
      ['logIds'],
    );
    assert.equal((await a.test.client().get(`/api/shares/${alice.backupShareId}/sync`)).status, 401);
  });
});
