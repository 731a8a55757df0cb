import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { CHUNK_SIZE, decryptBuffer, fileInfo, SALT_LENGTH } from '../../crypto/index.js';
import { InMemoryPeer } from '../../../test/helpers/in-memory-peer.js';
import { runPlanOnce } from '../../../test/helpers/plan-run.js';
import { tempShareFolder } from '../../../test/helpers/temp-share.js';
import { loadVectors } from '../../../test/helpers/vectors.js';
import { storedNameFor } from '../../manifest/stored-names.js';
import { EncryptedFileStream, FileChangedError, ShareFileSkippedError } from '../encrypt-file.js';
import { OpenLargeFiles } from './open-large-files.js';
import { FileSealThread, FileSealThreadFailedError } from './seal-file-thread.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const crashingEntry = new URL('../../../test/helpers/crashing-seal-worker.ts', import.meta.url);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The descriptors of this process (the thread's included) open on `file`. */
function descriptorsOn(file: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count += 1;
    } catch {
      // closed between the listing and the look
    }
  }
  return count;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(what);
}

describe('large files sealed on their own thread', () => {
  const share = tempShareFolder('anemone-seal-file-thread-');
  const key = randomBytes(32);
  const context = { sourceServer: 'server-a', user: 'alice', share: 'backup' };
  const startThread = (signal = new AbortController().signal, entry?: URL) => new FileSealThread({ root: share.root, context, userKey: key }, { signal, entry });
  const fileOf = (relPath: string, size: number) => ({ relPath, fsRelPath: relPath, size });

  it('sends byte for byte what the main thread sends, at chunk boundaries and odd sizes, with the same hashes', async () => {
    const thread = startThread();
    try {
      const salt = randomBytes(SALT_LENGTH);
      for (const length of [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 2 * CHUNK_SIZE + 12_345]) {
        const content = randomBytes(length);
        const relPath = await share.fileWith(content);
        const inline = new EncryptedFileStream(share.root, relPath, key, { ...context, relPath }, length, { salt, startAt: 0 });
        const expected = await readAll(inline);
        const threaded = thread.open(fileOf(relPath, length), { salt, startAt: 0 });
        const sent = await readAll(threaded);
        assert.ok(sent.equals(expected), `${length} bytes: the same ciphertext`);
        assert.equal(threaded.bytes, length);
        assert.equal(threaded.digestHex(), sha256(content));
        assert.equal(threaded.digestHex(), inline.digestHex());
        assert.ok(threaded.ciphertextDigest().equals(inline.ciphertextDigest()), `${length} bytes: the ciphertext's hash`);

        const fresh = thread.open(fileOf(relPath, length));
        const encrypted = await readAll(fresh);
        assert.ok(decryptBuffer(key, fileInfo({ ...context, relPath }), encrypted).equals(content), `${length} bytes round-trip with a salt of its own`);
        assert.equal(fresh.ciphertextDigest().toString('hex'), sha256(encrypted));
      }
    } finally {
      await thread.stop();
    }
  });

  it('regenerates from a kept salt exactly the bytes of the format vectors from any offset, hashing the whole object', async () => {
    const vectors = loadVectors() as unknown as {
      key: { base64: string };
      salt: string;
      cases: { kind: string; sourceServer: string; user: string; share: string; relPath: string; plaintext: { length: number }; ciphertextLength: number; ciphertextSha256: string }[];
    };
    const vector = vectors.cases.filter((entry) => entry.kind === 'file').sort((x, y) => y.plaintext.length - x.plaintext.length)[0];
    assert.ok(vector);
    const plaintext = Buffer.alloc(vector.plaintext.length);
    for (let index = 0; index < plaintext.length; index++) plaintext[index] = (index * 31 + 7) % 251;
    await writeFile(path.join(share.dir, 'vector.bin'), plaintext);
    const vectorContext = { sourceServer: vector.sourceServer, user: vector.user, share: vector.share };
    const thread = new FileSealThread({ root: share.root, context: vectorContext, userKey: Buffer.from(vectors.key.base64, 'base64') }, { signal: new AbortController().signal });
    try {
      const salt = Buffer.from(vectors.salt, 'hex');
      const whole = await readAll(thread.open({ relPath: vector.relPath, fsRelPath: 'vector.bin', size: plaintext.length }, { salt, startAt: 0 }));
      assert.equal(sha256(whole), vector.ciphertextSha256, 'the same ciphertext as the vectors, from the kept salt');
      const chunkOnDisk = CHUNK_SIZE + 16;
      for (const startAt of [1, 12, 12 + chunkOnDisk, 12 + 2 * chunkOnDisk - 1, 12 + 2 * chunkOnDisk + 5000, vector.ciphertextLength - 1, vector.ciphertextLength]) {
        const stream = thread.open({ relPath: vector.relPath, fsRelPath: 'vector.bin', size: plaintext.length }, { salt, startAt });
        assert.ok((await readAll(stream)).equals(whole.subarray(startAt)), `the bytes from ${startAt} equal the original's`);
        assert.equal(stream.ciphertextDigest().toString('hex'), vector.ciphertextSha256, `the whole object's hash, resumed at ${startAt}`);
        assert.equal(stream.digestHex(), sha256(plaintext));
      }
    } finally {
      await thread.stop();
    }
  });

  it('cuts a file that grew at the scanned size, and fails one that shrank as the main thread does', async () => {
    const thread = startThread();
    try {
      const content = randomBytes(CHUNK_SIZE + 100);
      const grown = await share.fileWith(content);
      const cut = thread.open(fileOf(grown, CHUNK_SIZE + 10));
      assert.ok(decryptBuffer(key, fileInfo({ ...context, relPath: grown }), await readAll(cut)).equals(content.subarray(0, CHUNK_SIZE + 10)));

      const shrunk = thread.open(fileOf(await share.fileWith(content), 2 * CHUNK_SIZE));
      await assert.rejects(readAll(shrunk), FileChangedError);
      assert.equal(shrunk.bytes, CHUNK_SIZE, 'the first chunk was read, the second was short');
      assert.ok(shrunk.readError instanceof FileChangedError, 'told apart from a failed upload');
    } finally {
      await thread.stop();
    }
  });

  it('skips a file that is gone, a symbolic link or a FIFO, telling it apart from a failed upload', async () => {
    await symlink('/etc/passwd', path.join(share.dir, 'link.bin'));
    execFileSync('mkfifo', [path.join(share.dir, 'pipe.bin')]);
    const thread = startThread();
    try {
      for (const [relPath, reason] of [
        ['gone.bin', 'vanished'],
        ['link.bin', 'symlink'],
        ['pipe.bin', 'not-a-regular-file'],
      ] as const) {
        const stream = thread.open(fileOf(relPath, 10));
        await assert.rejects(readAll(stream), ShareFileSkippedError);
        assert.ok(stream.readError instanceof ShareFileSkippedError && stream.readError.reason === reason, relPath);
        assert.equal(stream.bytes, 0);
      }
    } finally {
      await thread.stop();
    }
  });

  it('closes the file in the thread when its stream is destroyed mid-file (a cut upload), and goes on with the next', async () => {
    const content = randomBytes(8 * CHUNK_SIZE);
    const relPath = await share.fileWith(content);
    const file = path.join(share.dir, relPath);
    const thread = startThread();
    try {
      const cutShort = thread.open(fileOf(relPath, content.length));
      for await (const _ of cutShort) break;
      assert.ok(cutShort.destroyed);
      await until(() => descriptorsOn(file) === 0, 'the thread closed the file of the destroyed stream');
      const next = thread.open(fileOf(relPath, content.length));
      assert.ok(decryptBuffer(key, fileInfo({ ...context, relPath }), await readAll(next)).equals(content));
    } finally {
      await thread.stop();
    }
    assert.equal(descriptorsOn(file), 0);
  });

  it('a stopped run fails the files in flight with its reason, closes them and ends the thread', async () => {
    const content = randomBytes(8 * CHUNK_SIZE);
    const relPath = await share.fileWith(content);
    const file = path.join(share.dir, relPath);
    const controller = new AbortController();
    const thread = startThread(controller.signal);
    const stream = thread.open(fileOf(relPath, content.length));
    const reason = new Error('the run was stopped');
    stream.once('data', () => controller.abort(reason));
    await assert.rejects(readAll(stream), (error) => error === reason);
    assert.equal(stream.readError, undefined, 'not the file’s problem');
    await thread.stop();
    assert.equal(descriptorsOn(file), 0, 'the thread closed the file before it ended');
    const later = thread.open(fileOf(relPath, content.length));
    await assert.rejects(readAll(later), (error) => error === reason);
  });

  it('a thread that fails fails its files with a clear error, not as the file’s problem or the link’s', async () => {
    const thread = startThread(new AbortController().signal, crashingEntry);
    const stream = thread.open(fileOf(await share.fileWith(randomBytes(100)), 100));
    await assert.rejects(readAll(stream), FileSealThreadFailedError);
    assert.ok(stream.readError instanceof FileSealThreadFailedError);
    assert.equal(stream.readError.code, 'SYNC_FILE_SEAL_THREAD_FAILED');
    assert.match(stream.readError.message, /crashed on purpose/);
    await thread.stop();
    await assert.rejects(readAll(thread.open(fileOf('any.bin', 10))), FileSealThreadFailedError);
  });

  it('zeroes its copy of the user key when the run is over', () => {
    const copy = Buffer.from(key);
    new OpenLargeFiles({ root: share.root, context, userKey: copy }).end();
    assert.ok(copy.equals(Buffer.alloc(32)));
  });
});

describe('a run whose large files are sealed on their own thread', () => {
  const share = tempShareFolder('anemone-seal-file-run-');
  const userKey = randomBytes(32);
  const context = { sourceServer: 'home', user: 'alice', share: 'backup' };

  it('fails with a clear error when the thread crashes, and the next run starts a new thread and sends everything', async () => {
    const relPaths = ['big-1.bin', 'big-2.bin'];
    for (const relPath of relPaths) await writeFile(path.join(share.dir, relPath), randomBytes(9 * CHUNK_SIZE));
    const peer = new InMemoryPeer({ userKey, context });
    const failed = await runPlanOnce({ peer, root: share.dir, relPaths, userKey, context }, { testHooks: { fileSealWorkerEntry: crashingEntry } }).then(
      () => assert.fail('the run succeeded without its sealing thread'),
      (error: unknown) => error,
    );
    assert.ok(failed instanceof FileSealThreadFailedError, `${String(failed)}`);
    assert.equal(peer.objects.size, 0);

    const result = await runPlanOnce({ peer, root: share.dir, relPaths, userKey, context });
    assert.equal(result.filesUploaded, relPaths.length);
    for (const relPath of relPaths) assert.ok(peer.objects.has(storedNameFor(relPath)), relPath);
  });

  it('seals a run of a few MiB of large files on the main thread, starting no thread', async () => {
    const relPaths = ['medium.bin'];
    await writeFile(path.join(share.dir, 'medium.bin'), randomBytes(3 * CHUNK_SIZE));
    const peer = new InMemoryPeer({ userKey, context });
    // a thread would fail at once: none is started for 3 MiB
    const result = await runPlanOnce({ peer, root: share.dir, relPaths, userKey, context }, { testHooks: { fileSealWorkerEntry: crashingEntry } });
    assert.equal(result.filesUploaded, 1);
    assert.ok(peer.objects.has(storedNameFor('medium.bin')));
  });
});
