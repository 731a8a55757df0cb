import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { TEMP_PREFIX, diskWriteStream, type WriteStreamFactory } from '../../src/incoming/temp-file.js';
import { createUser, pairPeer, startNamedServer, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';

const KB = 1000;

/**
 * Bytes of the files under `folder`, temporary ones and those being written
 * left out (the disk counts those as they are written; a batch's new files
 * are written at their final names).
 */
function bytesStored(folder: string, beingWritten: ReadonlySet<string>): number {
  let total = 0;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const fullPath = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !entry.name.startsWith(TEMP_PREFIX) && !beingWritten.has(fullPath)) total += statSync(fullPath).size;
  }
  return total;
}

/**
 * The peer's disk, `limitBytes` large for everything under `root`: a write
 * that would go past it fails with ENOSPC, as a real full disk does.
 */
function diskOfSize(root: string, limitBytes: number): WriteStreamFactory {
  const writing = new Set<{ bytes: number; filePath: string }>();
  return (filePath) => {
    const file = diskWriteStream(filePath);
    const counter = { bytes: 0, filePath };
    writing.add(counter);
    const closed = new Promise<void>((resolve, reject) => {
      file.once('close', resolve);
      file.once('error', reject);
    });
    // once a write failed, so does every later one of this file, as on a real disk's stream (destroyed on its first
    // error): a later write small enough to fit must not land after the bytes that did not (the receiver hands a
    // gathered batch over at once, and this stream, failing synchronously, is handed the rest of it in the same turn)
    let failed = false;
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const used = bytesStored(root, new Set([...writing].map((other) => other.filePath))) + [...writing].reduce((sum, other) => sum + other.bytes, 0);
        if (failed || used + chunk.length > limitBytes) {
          failed = true;
          callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
          return;
        }
        counter.bytes += chunk.length;
        file.write(chunk, callback);
      },
      final(callback) {
        file.end();
        closed.then(() => callback(), callback).finally(() => writing.delete(counter));
      },
      destroy(error, callback) {
        writing.delete(counter);
        file.destroy();
        callback(error);
      },
    });
  };
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name))).sort();
}

describe('a peer whose disk filled up during a sync', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('removes at the next sync what the failed one left uncommitted, and its stats follow', async () => {
    const a = await startNamedServer('server-a');
    cleanups.push(() => a.test.stop());
    const bDataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-full-peer-'));
    const incomingDir = path.join(bDataDir, 'incoming');
    const b = await startNamedServer('server-b', {
      acceptPassword: 'password of b',
      dataDir: bDataDir,
      serverOptions: { incoming: { createWriteStream: diskOfSize(incomingDir, 1_600 * KB) } },
    });
    cleanups.push(() => b.test.stop());
    await pairPeer(a, b, 'password of b');
    const alice = await createUser(a, 'alice');
    const share = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    const onB = path.join(incomingDir, 'server-a', 'alice', 'backup');

    await writeFiles(share, { 'keep.txt': randomBytes(10 * KB) });
    const [first] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(first?.status, 'success', JSON.stringify(first));

    // ten small files arrive in a batch (1 MB), then the large file fills the disk: 507, no manifest written
    const photos = Array.from({ length: 10 }, (_, index) => `photos/p${index}.jpg`);
    await writeFiles(share, { ...Object.fromEntries(photos.map((photo) => [photo, randomBytes(100 * KB)])), 'big.bin': randomBytes(2_000 * KB) });
    const [full] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(full?.status, 'failure', JSON.stringify(full));
    assert.equal(full?.errorCode, 'INSUFFICIENT_STORAGE', 'the one vocabulary of error codes');
    assert.deepEqual((await filesUnder(onB)).filter((name) => name.startsWith('photos/')).length, 10, 'the batch had arrived before the disk filled');
    assert.deepEqual((await filesUnder(incomingDir)).filter((name) => path.basename(name).startsWith(TEMP_PREFIX)), [], 'no temporary file left');

    // the user frees the large file and half the photos; the next sync must not meet the objects of the failed one
    await unlink(path.join(share, 'big.bin'));
    for (const photo of photos.slice(0, 5)) await unlink(path.join(share, photo));
    await writeFiles(share, { 'notes/new.txt': randomBytes(300 * KB) });
    const [next] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(next?.status, 'success', JSON.stringify(next));

    const expected = ['_manifest.json.enc', 'keep.txt.enc', 'notes/new.txt.enc', ...photos.slice(5).map((photo) => `${photo}.enc`)].sort();
    assert.deepEqual(await filesUnder(onB), expected, 'the disk holds exactly what the manifest references');
    const overview = (await b.admin.get('/api/admin/incoming')).body;
    assert.equal(overview.fileCount, expected.length - 1, 'the stats count the objects, not the manifest');
    let onDisk = 0;
    for (const name of expected) onDisk += (await stat(path.join(onB, name))).size;
    assert.equal(overview.bytesUsed, onDisk, 'the stats count what is on disk');
    await rm(bDataDir, { recursive: true, force: true }).catch(() => undefined);
  });

  it("tells the source that the peer's storage fails, not an unexpected answer, when its disk answers EIO; the next run, on a sound disk, finishes", async () => {
    let diskFails = true;
    // a disk that fails under the store: the write of the file's data is refused with an I/O error
    const failingDisk: WriteStreamFactory = (filePath) =>
      diskFails ? new Writable({ write: (_chunk, _encoding, callback) => callback(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })) }) : diskWriteStream(filePath);
    const a = await startNamedServer('server-a');
    cleanups.push(() => a.test.stop());
    const b = await startNamedServer('server-b', { acceptPassword: 'password of b', serverOptions: { incoming: { createWriteStream: (filePath) => failingDisk(filePath) } } });
    cleanups.push(() => b.test.stop());
    await pairPeer(a, b, 'password of b');
    const alice = await createUser(a, 'alice');
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), { 'keep.txt': randomBytes(10 * KB) });

    const [failed] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(failed?.status, 'failure', JSON.stringify(failed));
    assert.equal(failed?.errorCode, 'PEER_STORAGE_UNAVAILABLE', JSON.stringify(failed));
    assert.match(failed?.hint ?? '', /their server log says what their storage \(disk or S3 bucket\) answered/);
    assert.doesNotMatch(JSON.stringify(failed), /EIO/, "the errno stays in the peer's log");

    diskFails = false;
    const [next] = await syncAndWait(alice.client, a.admin, alice.backupShareId);
    assert.equal(next?.status, 'success', JSON.stringify(next));
  });
});
