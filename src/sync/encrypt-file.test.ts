import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs, { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it, mock } from 'node:test';
import { CHUNK_SIZE, decryptBuffer, encryptedLength, fileInfo } from '../crypto/index.js';
import { descriptorsUnder } from '../../test/helpers/descriptors.js';
import { tempShareFolder } from '../../test/helpers/temp-share.js';
import { loadVectors } from '../../test/helpers/vectors.js';
import { enableHeapGrowthDuringTransfers, largeTransfersRunning } from '../util/heap-growth.js';
import { EncryptedFileStream, FileChangedError, ShareFileSkippedError } from './encrypt-file.js';

async function readAll(stream: EncryptedFileStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** How many of them were opened with O_DIRECT (040000 in /proc/self/fdinfo's octal flags on x86 and arm64). */
function directDescriptorsOf(dir: string): number {
  return descriptorsUnder(dir).filter(isDirect).length;
}

function isDirect(fd: string): boolean {
  const O_DIRECT = constants.O_DIRECT ?? 0o40000;
  try {
    const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & O_DIRECT) !== 0;
  } catch {
    return false;
  }
}

/** Whether `file` opens with O_DIRECT here (the test folder's file system decides). */
function directOpenWorks(file: string): boolean {
  if (constants.O_DIRECT === undefined) return false;
  try {
    closeSync(openSync(file, constants.O_RDONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  }
}

describe('EncryptedFileStream', () => {
  const share = tempShareFolder('anemone-encrypt-file-');
  const key = randomBytes(32);
  const context = { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'notes.txt' };

  /** Reads `stream` to its end, checks it decrypts to `content`, and says how many O_DIRECT descriptors under `dir` were open at most meanwhile. */
  async function readCountingDirect(stream: EncryptedFileStream, dir: string, content: Buffer): Promise<number> {
    const chunks: Buffer[] = [];
    let most = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      most = Math.max(most, directDescriptorsOf(dir));
    }
    assert.ok(decryptBuffer(key, fileInfo(context), Buffer.concat(chunks)).equals(content));
    return most;
  }

  it('streams a large file in format v1, whatever its length, with the plaintext hash', async () => {
    for (const length of [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 12_345]) {
      const content = randomBytes(length);
      const stream = new EncryptedFileStream(share.root, await share.fileWith(content), key, context, length);
      const encrypted = await readAll(stream);
      assert.equal(encrypted.length, encryptedLength(length), `${length} bytes: the announced length`);
      assert.ok(decryptBuffer(key, fileInfo(context), encrypted).equals(content), `${length} bytes round-trip`);
      assert.equal(stream.bytes, length);
      assert.equal(stream.digestHex(), sha256(content));
    }
  });

  it('reads the file past the page cache (O_DIRECT) where the file system takes it, and closes both descriptors at its end', async () => {
    const content = randomBytes(2 * CHUNK_SIZE + 5);
    const relPath = await share.fileWith(content);
    const direct = directOpenWorks(path.join(share.dir, relPath));
    const stream = new EncryptedFileStream(share.root, relPath, key, context, content.length);
    const directWhileReading = await readCountingDirect(stream, share.dir, content);
    // ext4, xfs, btrfs and tmpfs (Linux ≥ 6.6) take it; where this test's folder does not, the file is read the ordinary way
    assert.equal(directWhileReading, direct ? 1 : 0, direct ? 'one descriptor of the share file open with O_DIRECT' : 'no direct descriptor where O_DIRECT is refused');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(descriptorsUnder(share.dir).length, 0, 'none left open');
  });

  it('finishes the file through the ordinary descriptor when a direct read is refused (EINVAL)', async (t) => {
    const content = randomBytes(2 * CHUNK_SIZE + 5);
    const relPath = await share.fileWith(content);
    if (!directOpenWorks(path.join(share.dir, relPath))) return t.skip("this test folder's file system refuses O_DIRECT at the open");
    const read = fs.read;
    let refused = 0;
    // the file system takes O_DIRECT at the open but not at the second chunk's read
    mock.method(fs, 'read', (fd: number, ...rest: unknown[]) => {
      if (isDirect(String(fd)) && ++refused === 2) {
        const callback = rest.at(-1) as (error: NodeJS.ErrnoException) => void;
        return process.nextTick(callback, Object.assign(new Error('EINVAL'), { code: 'EINVAL' }));
      }
      return (read as (...args: unknown[]) => void)(fd, ...rest);
    });
    t.after(() => mock.restoreAll());
    const stream = new EncryptedFileStream(share.root, relPath, key, context, content.length);
    assert.ok(decryptBuffer(key, fileInfo(context), await readAll(stream)).equals(content));
    assert.equal(refused, 2, 'the direct descriptor was used once, refused once, then left alone');
    assert.equal(stream.digestHex(), sha256(content));
  });

  it('reads a file the run has just read (readPastCache false) through the page cache', async () => {
    const content = randomBytes(2 * CHUNK_SIZE + 5);
    const stream = new EncryptedFileStream(share.root, await share.fileWith(content), key, context, content.length, undefined, false);
    const directWhileReading = await readCountingDirect(stream, share.dir, content);
    assert.equal(directWhileReading, 0, 'no direct descriptor');
    assert.equal(stream.digestHex(), sha256(content));
  });

  it('closes its descriptors only once a read in flight on them is done, when destroyed during it', async (t) => {
    const content = randomBytes(2 * CHUNK_SIZE + 5);
    const relPath = await share.fileWith(content);
    const read = fs.read as (...args: unknown[]) => void;
    const close = fs.close as (...args: unknown[]) => void;
    const onShareFile = (fd: unknown) => typeof fd === 'number' && descriptorsUnder(share.dir).includes(String(fd));
    const reading = new Set<number>();
    const closedWhileReading: number[] = [];
    let release: (() => void) | undefined;
    let readHeld: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (readHeld = resolve));
    // the first read of the file waits until the test lets it go; a descriptor closed meanwhile is recorded
    mock.method(fs, 'read', (fd: number, ...rest: unknown[]) => {
      if (release !== undefined || !onShareFile(fd)) return read(fd, ...rest);
      const callback = rest.pop() as (...results: unknown[]) => void;
      reading.add(fd);
      release = () => read(fd, ...rest, (...results: unknown[]) => (reading.delete(fd), callback(...results)));
      readHeld();
    });
    mock.method(fs, 'close', (fd: number, ...rest: unknown[]) => {
      if (reading.has(fd)) closedWhileReading.push(fd);
      return close(fd, ...rest);
    });
    t.after(() => mock.restoreAll());
    const stream = new EncryptedFileStream(share.root, relPath, key, context, content.length);
    stream.on('error', () => undefined);
    stream.read(0);
    await held;
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    (release as unknown as () => void)();
    await new Promise((resolve) => stream.once('close', resolve));
    assert.deepEqual(closedWhileReading, [], 'no descriptor closed under a read in flight: its number could name another file by then');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(descriptorsUnder(share.dir).length, 0, 'both closed once the read was done');
  });

  it('reads the ordinary way where no page-aligned buffer can be had (an address-space limit)', async (t) => {
    const content = randomBytes(2 * CHUNK_SIZE + 5);
    const wasm = globalThis as unknown as { WebAssembly: { Memory: unknown } };
    const Memory = wasm.WebAssembly.Memory;
    wasm.WebAssembly.Memory = class {
      constructor() {
        throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      }
    };
    t.after(() => {
      wasm.WebAssembly.Memory = Memory;
    });
    const stream = new EncryptedFileStream(share.root, await share.fileWith(content), key, context, content.length);
    const directWhileReading = await readCountingDirect(stream, share.dir, content);
    assert.equal(directWhileReading, 0, 'no direct descriptor without an aligned buffer');
    assert.equal(stream.digestHex(), sha256(content));
  });

  it('cuts a file that grew at the scanned size, and fails one that shrank', async () => {
    const content = randomBytes(CHUNK_SIZE + 100);
    const cut = new EncryptedFileStream(share.root, await share.fileWith(content), key, context, CHUNK_SIZE + 10);
    assert.ok(decryptBuffer(key, fileInfo(context), await readAll(cut)).equals(content.subarray(0, CHUNK_SIZE + 10)));

    const shrunk = new EncryptedFileStream(share.root, await share.fileWith(content), key, context, 2 * CHUNK_SIZE);
    await assert.rejects(readAll(shrunk), FileChangedError);
    assert.equal(shrunk.bytes, CHUNK_SIZE, 'the first chunk was read, the second was short');
    assert.ok(shrunk.readError instanceof FileChangedError, 'told apart from a failed upload');
  });

  it('counts as a large transfer from its creation until it ended, failed or was destroyed unread', async () => {
    enableHeapGrowthDuringTransfers();
    const content = randomBytes(CHUNK_SIZE + 1);
    const whole = new EncryptedFileStream(share.root, await share.fileWith(content), key, context, content.length);
    assert.equal(largeTransfersRunning(), 1);
    await readAll(whole);
    assert.equal(largeTransfersRunning(), 0, 'ended');

    const failed = new EncryptedFileStream(share.root, 'gone.bin', key, context, 10);
    await assert.rejects(readAll(failed), ShareFileSkippedError);
    assert.equal(largeTransfersRunning(), 0, 'failed');

    const unread = new EncryptedFileStream(share.root, await share.fileWith(content), key, context, content.length);
    unread.destroy();
    await new Promise((resolve) => unread.once('close', resolve));
    assert.equal(largeTransfersRunning(), 0, 'destroyed before its first read');
  });

  it('skips a large file that is gone, a symbolic link or a FIFO, telling it apart from a failed upload', async () => {
    await symlink('/etc/passwd', path.join(share.dir, 'link.bin'));
    execFileSync('mkfifo', [path.join(share.dir, 'pipe.bin')]);
    for (const [relPath, reason] of [
      ['gone.bin', 'vanished'],
      ['link.bin', 'symlink'],
      ['pipe.bin', 'not-a-regular-file'],
    ] as const) {
      const stream = new EncryptedFileStream(share.root, relPath, key, context, 10);
      await assert.rejects(readAll(stream), ShareFileSkippedError);
      assert.ok(stream.readError instanceof ShareFileSkippedError && stream.readError.reason === reason, relPath);
      assert.equal(stream.bytes, 0);
    }
  });
});

describe('EncryptedFileStream resumed from a byte of its ciphertext (resumable uploads)', () => {
  const share = tempShareFolder('anemone-encrypt-resume-');

  it('regenerates, from the same salt, exactly the bytes the format vectors give from any offset, and hashes the whole object', async () => {
    const vectors = loadVectors() as unknown as {
      key: { base64: string };
      salt: string;
      cases: { kind: string; sourceServer: string; user: string; share: string; relPath: string; plaintext: { length: number }; ciphertextLength: number; ciphertextSha256: string }[];
    };
    const key = Buffer.from(vectors.key.base64, 'base64');
    const salt = Buffer.from(vectors.salt, 'hex');
    // the longest file case: four chunks, the last one short
    const vector = vectors.cases.filter((entry) => entry.kind === 'file').sort((x, y) => y.plaintext.length - x.plaintext.length)[0];
    assert.ok(vector);
    const plaintext = Buffer.alloc(vector.plaintext.length);
    for (let index = 0; index < plaintext.length; index++) plaintext[index] = (index * 31 + 7) % 251;
    await writeFile(path.join(share.dir, 'vector.bin'), plaintext);
    const context = { sourceServer: vector.sourceServer, user: vector.user, share: vector.share, relPath: vector.relPath };

    const whole = await readAll(new EncryptedFileStream(share.root, 'vector.bin', key, context, plaintext.length, { salt, startAt: 0 }));
    assert.equal(whole.length, vector.ciphertextLength);
    assert.equal(sha256(whole), vector.ciphertextSha256, 'the same ciphertext as the vectors, from the kept salt');

    const chunkOnDisk = CHUNK_SIZE + 16;
    for (const startAt of [1, 12, 12 + chunkOnDisk, 12 + 2 * chunkOnDisk - 1, 12 + 2 * chunkOnDisk + 5000, vector.ciphertextLength - 1, vector.ciphertextLength]) {
      const stream = new EncryptedFileStream(share.root, 'vector.bin', key, context, plaintext.length, { salt, startAt });
      const tail = await readAll(stream);
      assert.ok(tail.equals(whole.subarray(startAt)), `the bytes from ${startAt} equal the original's`);
      assert.equal(stream.ciphertextDigest().toString('hex'), vector.ciphertextSha256, `the whole object's hash, resumed at ${startAt}`);
      assert.equal(stream.digestHex(), sha256(plaintext));
    }
  });
});
