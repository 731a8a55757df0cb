/**
 * The peer's administrator deletes a source's incoming backups while that
 * source is in the middle of a sync. The objects sent before the deletion are
 * gone; the source must not commit a manifest naming them, nor keep a copy of
 * the peer's manifest saying all is well. The sync hook `beforeFileRead`
 * makes the deletion land between two batches, every time, without timers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { independentDecrypt } from '../helpers/independent-decrypt.js';
import { createUser, pairPeer, startNamedServer, storedFiles, syncAndWait, writeFiles, type ClusterServer } from '../helpers/sync-cluster.js';

type FileReadHook = (file: { username: string; shareName: string; relPath: string }) => Promise<void>;

/** Enough small files for several batches (4 MiB each): the deletion falls after the first ones arrived. */
const FILE_COUNT = 60;
const FILE_CHARS = 200_000;

describe('backups deleted on the peer while a source syncs', () => {
  let a: ClusterServer;
  let b: ClusterServer;
  let peerB: number;
  let onRead: FileReadHook = async () => undefined;

  before(async () => {
    [a, b] = await Promise.all([
      startNamedServer('server-a', { serverOptions: { syncTestHooks: { beforeFileRead: (file) => onRead(file) } } }),
      startNamedServer('server-b', { acceptPassword: 'password of b' }),
    ]);
    peerB = await pairPeer(a, b, 'password of b');
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server?.test.stop()));
  });

  const shareOf = (username: string) => path.join(a.test.dataDir, 'shares', username, 'backup');
  const onPeer = (username: string) => path.join(b.test.dataDir, 'incoming', 'server-a', username, 'backup');

  /** Once, at the `afterReads`-th file read: waits until the peer stored some of the share, then its administrator deletes the user's backups. */
  function deleteOnPeerDuringRun(username: string, afterReads: number): { deleted: () => boolean } {
    let reads = 0;
    let deleted = false;
    onRead = async (file) => {
      if (file.username !== username || ++reads !== afterReads) return;
      for (let tries = 0; (await storedFiles(onPeer(username))).size === 0; tries++) {
        if (tries > 400) throw new Error('the peer stored nothing of the share');
        await delay(25);
      }
      const removed = await b.admin.delete(`/api/admin/incoming/server-a?user=${username}`);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      deleted = true;
    };
    return { deleted: () => deleted };
  }

  it('sends the share again when the peer lost it mid-run: the peer holds every file, the source knows it, and a restore gives every file back', async () => {
    const alice = await createUser(a, 'alice');
    const files: Record<string, string> = {};
    for (let index = 0; index < FILE_COUNT; index++) files[`docs/file-${String(index).padStart(3, '0')}.txt`] = randomBytes(FILE_CHARS / 2).toString('hex');
    await writeFiles(shareOf('alice'), files);

    const deletion = deleteOnPeerDuringRun('alice', 40);
    const [log] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.ok(deletion.deleted(), `the deletion happened during the run: ${JSON.stringify(log)}`);
    assert.equal(log?.status, 'success', JSON.stringify(log));

    // the peer: a manifest naming every file, and every file it names stored and decrypting to the original
    const stored = await storedFiles(onPeer('alice'));
    const context = { sourceServer: 'server-a', user: 'alice', share: 'backup' };
    const manifestBytes = stored.get('_manifest.json.enc');
    assert.ok(manifestBytes, 'the peer holds a manifest');
    const peerManifest = JSON.parse(independentDecrypt(alice.key, context, manifestBytes).toString()) as { files: Record<string, unknown> };
    assert.deepEqual(Object.keys(peerManifest.files).sort(), Object.keys(files).sort());
    for (const [relPath, content] of Object.entries(files)) {
      const ciphertext = stored.get(`${relPath}.enc`);
      assert.ok(ciphertext, `${relPath} is stored on the peer`);
      assert.equal(independentDecrypt(alice.key, { ...context, relPath }, ciphertext).toString(), content, relPath);
    }

    // the source's copy of the peer's manifest is what the peer holds
    const known = a.test.server.repos.peerManifests.find(alice.backupShareId, peerB);
    assert.ok(known, 'the source keeps a copy of the peer manifest');
    assert.deepEqual(JSON.parse(known.manifest.toString()).files, peerManifest.files);

    // a restore from the peer gives every file back, byte for byte
    for (const [relPath, content] of Object.entries(files)) {
      const download = await alice.client.get(`/api/restore/${peerB}/backup/file?path=${encodeURIComponent(relPath)}`);
      assert.equal(download.status, 200, relPath);
      assert.equal(download.body, content, relPath);
    }
  });
});
