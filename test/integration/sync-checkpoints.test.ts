import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { encryptedLength } from '../../src/crypto/index.js';
import { TEMP_PREFIX, diskWriteStream, type WriteStreamFactory } from '../../src/incoming/temp-file.js';
import { freePort, setUpChildSource, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { startNamedServer, waitForLogs, writeFiles, type SyncLog } from '../helpers/sync-cluster.js';

const SMALL_COUNT = 20;
const SMALL_SIZE = 50 * 1024;
/**
 * Larger than what can be in flight while the peer's disk stalls: loopback's socket buffers grow to tens of MiB
 * (`tcp_rmem` up to 32 MiB here), and what sat in them when the source was killed still reaches the peer after it.
 * At 8 MiB the whole file sometimes got there, completed, and the resumed run had nothing (or everything) to send.
 */
const LARGE_SIZE = 64 * 1024 * 1024;
/** Past this, a file being written on the peer stalls until released: only the large file gets that far. */
const STALL_AFTER_BYTES = 2 * 1024 * 1024;

/** The peer's disk, where one large upload stalls part way (a slow link, as the source sees it) until `release()`. */
function stallingDisk(): { factory: WriteStreamFactory; stalled: Promise<void>; release(): void } {
  let onStalled: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (onStalled = resolve));
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const factory: WriteStreamFactory = (filePath, options) => {
    const file = diskWriteStream(filePath, options);
    let bytes = 0;
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes <= STALL_AFTER_BYTES) return void file.write(chunk, callback);
        onStalled();
        void released.then(() => file.write(chunk, callback));
      },
      final(callback) {
        file.end(() => callback());
      },
      destroy(error, callback) {
        file.destroy();
        callback(error);
      },
    });
  };
  return { factory, stalled, release: () => release() };
}

describe('checkpoints while a large file streams', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('a source killed while a large file streams does not send again the files that arrived before', async () => {
    const disk = stallingDisk();
    cleanups.push(async () => disk.release());
    const b = await startNamedServer('server-b', { acceptPassword: 'password of b', serverOptions: { incoming: { createWriteStream: disk.factory } } });
    cleanups.push(() => b.test.stop());
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-checkpoint-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let a: ChildServer = await startChildServer(dataDir, port);
    cleanups.push(() => a.stop());

    const { admin } = await setUpChildSource(a, b.port);

    const files: Record<string, Buffer> = { 'video.bin': randomBytes(LARGE_SIZE) };
    for (let index = 0; index < SMALL_COUNT; index++) files[`photos/p${index}.jpg`] = randomBytes(SMALL_SIZE);
    await writeFiles(path.join(dataDir, 'shares', 'alice', 'backup'), files);

    const alice = a.client();
    await alice.post('/api/auth/login', { username: 'alice', password: 'alice password' });
    const backupId = (await alice.get('/api/shares')).body.shares.find((share: { name: string }) => share.name === 'backup').id;
    assert.equal((await alice.post(`/api/shares/${backupId}/sync`)).status, 202);

    // the small files arrived and the large one is stuck on its way: only a timed checkpoint can write a manifest now
    await disk.stalled;
    const onB = path.join(b.test.dataDir, 'incoming', 'server-a', 'alice', 'backup');
    const deadline = Date.now() + 20_000;
    while (!(await access(path.join(onB, '_manifest.json.enc')).then(() => true, () => false))) {
      assert.ok(Date.now() < deadline, 'no checkpoint was written while the large file streamed');
      await delay(100);
    }
    assert.equal((await admin.get('/api/admin/sync/running')).body.running.length, 1, 'the large file is still streaming');
    await a.kill();
    disk.release();

    a = await startChildServer(dataDir, port);
    const restartedAdmin = a.client();
    await restartedAdmin.post('/api/auth/login', { username: 'admin', password: 'admin password a' });
    const restartedAlice = a.client();
    await restartedAlice.post('/api/auth/login', { username: 'alice', password: 'alice password' });
    const second = await restartedAlice.post(`/api/shares/${backupId}/sync`);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    const [resumed] = (await waitForLogs(restartedAdmin, [second.body.started[0].logId], 60_000)) as SyncLog[];
    assert.equal(resumed?.status, 'success', JSON.stringify(resumed));
    assert.equal(resumed?.fileCount, 1, 'only the large file is sent again');
    // and only the part of it the peer did not hold (a resumable upload)
    assert.ok((resumed?.bytesTransferred ?? 0) > 0 && (resumed?.bytesTransferred ?? Infinity) < encryptedLength(LARGE_SIZE), `${resumed?.bytesTransferred} bytes sent again`);

    const stored = await readdir(onB, { recursive: true });
    // the files and the manifest; the resumed run's manifest went as a delta, in the journal beside it
    assert.equal(stored.filter((name) => name.endsWith('.enc') && !name.startsWith('_manifest.d')).length, SMALL_COUNT + 2);
    assert.deepEqual(stored.filter((name) => path.basename(name).startsWith(TEMP_PREFIX)), [], 'the cut-off upload left no temporary file');
  });
});
