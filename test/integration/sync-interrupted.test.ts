import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { freePort, setUpChildSource, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { independentDecrypt } from '../helpers/independent-decrypt.js';
import { startNamedServer, waitForLogs, writeFiles, type ClusterServer, type SyncLog } from '../helpers/sync-cluster.js';

const FILE_COUNT = 12;
const FILE_SIZE = 16 * 1024 * 1024;

describe('a source killed in the middle of a sync', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('marks the run interrupted on restart, and the next sync finishes without sending again what arrived', async () => {
    const b: ClusterServer = await startNamedServer('server-b', { acceptPassword: 'password of b' });
    cleanups.push(() => b.test.stop());
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-killed-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let a: ChildServer = await startChildServer(dataDir, port);
    cleanups.push(() => a.stop());

    const { admin, aliceKey } = await setUpChildSource(a, b.port);

    const files: Record<string, Buffer> = {};
    for (let index = 0; index < FILE_COUNT; index++) files[`videos/part-${String(index).padStart(2, '0')}.bin`] = randomBytes(FILE_SIZE);
    await writeFiles(path.join(dataDir, 'shares', 'alice', 'backup'), files);

    const alice = a.client();
    await alice.post('/api/auth/login', { username: 'alice', password: 'alice password' });
    const backupId = (await alice.get('/api/shares')).body.shares.find((share: { name: string }) => share.name === 'backup').id;
    const first = await alice.post(`/api/shares/${backupId}/sync`);
    assert.equal(first.status, 202);

    // kill A as soon as the peer holds an intermediate manifest while the sync is still running
    const onB = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const manifestThere = await access(path.join(onB, '_manifest.json.enc')).then(() => true, () => false);
      const running = (await admin.get('/api/admin/sync/running')).body.running;
      if (manifestThere && running.length === 1) break;
      assert.ok(running.length === 1 || !manifestThere, 'the sync ended before it could be interrupted');
      assert.ok(Date.now() < deadline, 'no intermediate manifest appeared');
      await delay(20);
    }
    await a.kill();

    a = await startChildServer(dataDir, port);
    const restartedAdmin = a.client();
    await restartedAdmin.post('/api/auth/login', { username: 'admin', password: 'admin password a' });
    const logs = (await restartedAdmin.get('/api/admin/sync/logs')).body.logs as SyncLog[];
    assert.equal(logs[0]?.status, 'interrupted');
    assert.ok(logs[0]?.error);

    const restartedAlice = a.client();
    await restartedAlice.post('/api/auth/login', { username: 'alice', password: 'alice password' });
    const second = await restartedAlice.post(`/api/shares/${backupId}/sync`);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    const [resumed] = await waitForLogs(restartedAdmin, [second.body.started[0].logId], 120_000);
    assert.equal(resumed?.status, 'success', JSON.stringify(resumed));
    assert.ok((resumed?.fileCount ?? FILE_COUNT) < FILE_COUNT, `resumed run sent ${resumed?.fileCount} of ${FILE_COUNT} files`);
    assert.ok((resumed?.bytesTransferred ?? Infinity) < FILE_COUNT * FILE_SIZE, 'resumed run sent less than everything');

    for (const [relPath, content] of Object.entries(files)) {
      const stored = await readFile(path.join(onB, `${relPath}.enc`));
      const plain = independentDecrypt(aliceKey, { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath }, stored);
      assert.ok(plain.equals(content), `${relPath} is complete on the peer`);
    }
  });
});
