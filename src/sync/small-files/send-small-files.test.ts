import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decryptBuffer, fileInfo } from '../../crypto/index.js';
import { InMemoryPeer } from '../../../test/helpers/in-memory-peer.js';
import { runPlanOnce } from '../../../test/helpers/plan-run.js';
import { storedNameFor } from '../../manifest/stored-names.js';
import { resolveShareRoot } from '../../scan/open-share-file.js';
import type { PlannedUpload } from '../../manifest/diff.js';
import { BatchSender } from '../batch-sender.js';
import type { ExecutePlanInput, ExecutePlanResult } from '../execute-plan.js';
import { UploadProgress } from '../upload-progress.js';
import { sendSmallFiles, type SendSmallFilesInput } from './send-small-files.js';
import { SealThread, SealThreadFailedError, sealerWorkerData } from './seal-thread.js';

const userKey = randomBytes(32);
const context = { sourceServer: 'home', user: 'alice', share: 'backup' };
const crashingEntry = new URL('../../../test/helpers/crashing-seal-worker.ts', import.meta.url);

function syncOnce(peer: InMemoryPeer, root: string, relPaths: string[], extra: Partial<ExecutePlanInput> = {}): Promise<ExecutePlanResult> {
  return runPlanOnce({ peer, root, relPaths, userKey, context }, extra);
}

/** Sends `files` from `root` through sendSmallFiles and `batches`, drained; resolves with the paths that arrived. */
async function sendThrough(batches: BatchSender, root: string, files: (PlannedUpload | undefined)[], extra: Partial<SendSmallFilesInput>): Promise<string[]> {
  const arrived: string[] = [];
  await sendSmallFiles({
    files,
    root: await resolveShareRoot(root),
    context,
    userKey,
    batches,
    signal: new AbortController().signal,
    arrived: (file) => arrived.push(file.relPath),
    notSent: (relPath, error) => assert.fail(`${relPath} not sent: ${String(error)}`),
    ...extra,
  });
  await batches.drain();
  return arrived;
}

describe('small files sealed on their own thread', () => {
  let root: string;
  const write = (relPath: string, bytes: number) => writeFileSync(path.join(root, relPath), randomBytes(bytes));
  const names = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}-${index}.txt`);

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'anemone-seal-thread-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a file swapped for a symbolic link or a FIFO between the plan and the read, and sends the rest', async () => {
    const files = names('swap', 80);
    for (const name of files) write(name, 2000);
    const swapped = new Map([
      ['swap-7.txt', () => symlinkSync('/etc/passwd', path.join(root, 'swap-7.txt'))],
      ['swap-23.txt', () => execFileSync('mkfifo', [path.join(root, 'swap-23.txt')])],
    ]);
    const peer = new InMemoryPeer({ userKey, context });
    const result = await syncOnce(peer, root, files, {
      testHooks: {
        beforeFileRead: ({ relPath }) => {
          const swap = swapped.get(relPath);
          if (!swap) return;
          unlinkSync(path.join(root, relPath));
          swap();
        },
      },
    });
    assert.deepEqual(
      result.skipped.map((file) => file.relPath).sort(),
      ['swap-23.txt', 'swap-7.txt'],
    );
    assert.match(result.skipped.find((file) => file.relPath === 'swap-7.txt')?.reason ?? '', /symbolic link/);
    assert.match(result.skipped.find((file) => file.relPath === 'swap-23.txt')?.reason ?? '', /not a regular file/);
    assert.equal(peer.objects.has(storedNameFor('swap-7.txt')), false);
    assert.equal(peer.objects.has(storedNameFor('swap-23.txt')), false);
    assert.equal(result.filesUploaded, files.length - 2);
  });

  it('seals a run of a few files on the main thread with the same refusals, starting no thread', async () => {
    const files = names('few', 5);
    for (const name of files) write(name, 3000);
    const peer = new InMemoryPeer({ userKey, context });
    const result = await syncOnce(peer, root, files, {
      testHooks: {
        // a thread would fail at once: none is started for five files
        sealWorkerEntry: crashingEntry,
        beforeFileRead: ({ relPath }) => {
          if (relPath !== 'few-2.txt') return;
          unlinkSync(path.join(root, relPath));
          symlinkSync('/etc/passwd', path.join(root, relPath));
        },
      },
    });
    assert.deepEqual(result.skipped.map((file) => file.relPath), ['few-2.txt']);
    assert.match(result.skipped[0]?.reason ?? '', /symbolic link/);
    assert.equal(result.filesUploaded, files.length - 1);
    assert.equal(peer.objects.has(storedNameFor('few-2.txt')), false);
  });

  it('fails the run with a clear error when the thread crashes, and the next run starts a new thread and sends everything', async () => {
    const files = names('crash', 80);
    for (const name of files) write(name, 1000);
    const peer = new InMemoryPeer({ userKey, context });
    const failed = await syncOnce(peer, root, files, { testHooks: { sealWorkerEntry: crashingEntry } }).then(
      () => assert.fail('the run succeeded without its sealing thread'),
      (error: unknown) => error,
    );
    assert.ok(failed instanceof SealThreadFailedError, `${String(failed)}`);
    assert.equal(failed.code, 'SYNC_SEAL_THREAD_FAILED');
    assert.match(failed.message, /crashed on purpose/);
    assert.equal(peer.objects.size, 0);

    const result = await syncOnce(peer, root, files);
    assert.equal(result.filesUploaded, files.length);
    for (const name of files) assert.ok(peer.objects.has(storedNameFor(name)), name);
  });

  it('stops sending when the run is cancelled, with the cancellation as the reason', async () => {
    const files = names('cancel', 3000);
    for (const name of files) write(name, 4096);
    const peer = new InMemoryPeer({ userKey, context });
    const controller = new AbortController();
    const cancelled = new Error('cancelled by the test');
    let objectsAtCancel = 0;
    await assert.rejects(
      syncOnce(peer, root, files, {
        signal: controller.signal,
        onProgress: (update) => {
          if ((update.filesDone ?? 0) > 0 && !controller.signal.aborted) {
            objectsAtCancel = peer.objects.size;
            controller.abort(cancelled);
          }
        },
      }),
      (error) => error === cancelled,
    );
    assert.ok(objectsAtCancel > 0 && objectsAtCancel < files.length, `${objectsAtCancel} objects at the cancel`);
    // at most the batches already handed to the peer arrive after the cancel
    assert.ok(peer.objects.size < files.length, `${peer.objects.size} of ${files.length} sent`);
  });

  it("hands the thread a copy of the key's 32 bytes alone, moved rather than cloned", async () => {
    // a key cut from Node's shared pool, as unwrapping gives it: cloning it would carry the whole pool across
    const pooled = Buffer.from(userKey.toString('hex'), 'hex');
    assert.ok(pooled.buffer.byteLength > 32, 'the test key sits in the shared pool');
    const { workerData, transferList } = sealerWorkerData({ root: await resolveShareRoot(root), context, userKey: pooled, readBufferBytes: 4097 });
    assert.equal(workerData.userKey.buffer.byteLength, 32);
    assert.deepEqual(Buffer.from(workerData.userKey), userKey);
    assert.deepEqual(transferList, [workerData.userKey.buffer]);
    assert.deepEqual(pooled, userKey, "the caller's key is left as it was");
  });

  it('a thread stopped by its signal rejects its job at once with the reason, and exits', async () => {
    const files = names('abort', 200);
    for (const name of files) write(name, 4096);
    const controller = new AbortController();
    const thread = new SealThread({ root: await resolveShareRoot(root), context, userKey, readBufferBytes: 4097 }, { signal: controller.signal });
    const job = thread.seal(
      files.map((relPath) => ({ relPath, size: 4096 })),
      new ArrayBuffer(2 * 1024 * 1024),
    );
    const reason = new Error('stop');
    controller.abort(reason);
    await assert.rejects(job, (error) => error === reason);
    await thread.stop();
    await assert.rejects(thread.seal([], new ArrayBuffer(16)), (error) => error === reason);
  });

  it('sends a refused batch again file by file: each sealed file under its own stored name with its own content, the skipped one not at all', async () => {
    const files = names('resent', 80);
    const contents = new Map(files.map((name) => [name, randomBytes(500 + files.indexOf(name))]));
    for (const [name, content] of contents) writeFileSync(path.join(root, name), content);
    const planned: (PlannedUpload | undefined)[] = files.map((relPath) => ({ relPath, size: contents.get(relPath)?.length ?? 0, mtimeMs: statSync(path.join(root, relPath)).mtimeMs, sha256: '', reason: 'new' }));
    const peer = new InMemoryPeer({ userKey, context });
    // the peer refuses one file's path, so the whole batch, which a skipped file splits
    peer.failUpload = (storedPath) => (storedPath === storedNameFor('resent-40.txt') ? Object.assign(new Error('The peer refused a file path'), { code: 'PATH_INVALID' }) : undefined);
    const refused: string[] = [];
    const batches = new BatchSender(peer, context.user, context.share, new UploadProgress(() => undefined), (relPath) => refused.push(relPath));
    const notSent: string[] = [];
    const arrived = await sendThrough(batches, root, planned, {
      notSent: (relPath) => notSent.push(relPath),
      beforeFileRead: (relPath) => {
        if (relPath !== 'resent-20.txt') return;
        unlinkSync(path.join(root, relPath));
        symlinkSync('/etc/passwd', path.join(root, relPath));
      },
    });
    assert.deepEqual(refused, ['resent-40.txt']);
    assert.deepEqual(notSent, ['resent-20.txt']);
    const sent = files.filter((name) => name !== 'resent-20.txt' && name !== 'resent-40.txt');
    assert.deepEqual(arrived.sort(), [...sent].sort());
    assert.deepEqual([...peer.objects.keys()].sort(), sent.map(storedNameFor).sort());
    for (const name of sent) {
      const plain = decryptBuffer(userKey, fileInfo({ ...context, relPath: name }), peer.objects.get(storedNameFor(name)) as Buffer);
      assert.ok(plain.equals(contents.get(name) as Buffer), `${name}: its own content`);
    }
  });

  it('lets go of each planned file once it is handed to be sealed: the list it took ends empty, every file sent', async () => {
    const files = names('taken', 80);
    for (const name of files) write(name, 700);
    const planned: (PlannedUpload | undefined)[] = files.map((relPath) => ({ relPath, size: 700, mtimeMs: statSync(path.join(root, relPath)).mtimeMs, sha256: '', reason: 'new' }));
    const peer = new InMemoryPeer({ userKey, context });
    const batches = new BatchSender(peer, context.user, context.share, new UploadProgress(() => undefined), () => assert.fail('no batch is refused'));
    const arrived = await sendThrough(batches, root, planned, {});
    assert.deepEqual(arrived.sort(), [...files].sort());
    assert.deepEqual(planned.filter((file) => file !== undefined), []);
    for (const name of files) assert.ok(peer.objects.has(storedNameFor(name)), name);
  });
});
