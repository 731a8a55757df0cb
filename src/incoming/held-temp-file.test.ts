import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { HeldTempFile, smallFileWriterFor, writeNewFileDurably } from './held-temp-file.js';
import { TEMP_PREFIX, diskWriteStream } from './temp-file.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const isCode = (expected: string) => (error: unknown) => error instanceof AnemoneError && error.code === expected;
const settled = (resolve: () => void, reject: (error: unknown) => void) => (error: unknown) => (error === undefined || error === null ? resolve() : reject(error));
const writeNew = (filePath: string, chunks: readonly Buffer[]) => new Promise<void>((resolve, reject) => writeNewFileDurably(filePath, chunks, settled(resolve, reject)));
const finish = (temp: HeldTempFile, sha256: string) => new Promise<void>((resolve, reject) => temp.finish(sha256, temp.path, settled(resolve, reject)));

describe('writeNewFileDurably', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-held-temp-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every chunk in order, more than one write call takes, readable by the owner alone', async () => {
    const chunks = Array.from({ length: 2500 }, (_, index) => randomBytes(1 + (index % 7)));
    const file = path.join(dir, 'many-chunks');
    await writeNew(file, chunks);
    assert.deepEqual(await readFile(file), Buffer.concat(chunks));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('writes an empty file', async () => {
    await writeNew(path.join(dir, 'empty'), []);
    assert.equal((await stat(path.join(dir, 'empty'))).size, 0);
  });

  it('never opens an existing file, nor a symbolic link planted at the name', async () => {
    const existing = path.join(dir, 'existing');
    await writeFile(existing, 'kept');
    await assert.rejects(writeNew(existing, [Buffer.from('overwritten')]), { code: 'EEXIST' });
    assert.equal(await readFile(existing, 'utf8'), 'kept');
    const target = path.join(dir, 'link-target');
    await writeFile(target, 'target');
    await symlink(target, path.join(dir, 'planted-link'));
    await assert.rejects(writeNew(path.join(dir, 'planted-link'), [Buffer.from('through the link')]));
    assert.equal(await readFile(target, 'utf8'), 'target');
  });
});

describe('HeldTempFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-held-temp-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const temps = async () => (await readdir(dir)).filter((name) => name.startsWith(TEMP_PREFIX));

  it('writes what arrived under a hidden temporary name once its SHA-256 matched', async () => {
    const bytes = randomBytes(10_000);
    const temp = new HeldTempFile(dir, bytes.length, writeNewFileDurably, 'ok');
    temp.write(bytes.subarray(0, 3000));
    temp.write(bytes.subarray(3000));
    assert.deepEqual(await temps(), [], 'nothing is written before the item ended');
    await finish(temp, sha(bytes));
    assert.equal(temp.size, bytes.length);
    assert.deepEqual(await readFile(temp.path), bytes);
    await temp.discard();
    assert.deepEqual(await temps(), []);
  });

  it('never writes an item that arrived damaged', async () => {
    const temp = new HeldTempFile(dir, 100, writeNewFileDurably, 'damaged');
    temp.write(Buffer.from('what arrived'));
    await assert.rejects(finish(temp, sha(Buffer.from('what was sent'))), isCode('HASH_MISMATCH'));
    assert.deepEqual(await temps(), []);
  });

  it('reports a writer that throws before it began as the write failing, once', async () => {
    const refused = new Error('refused at once');
    let calls = 0;
    const temp = new HeldTempFile(dir, 100, () => {
      throw refused;
    }, 'throws');
    temp.write(Buffer.from('data'));
    await new Promise<void>((resolve) =>
      temp.finish(sha(Buffer.from('data')), temp.path, (error) => {
        calls += 1;
        assert.equal(error, refused);
        resolve();
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, 1);
  });

  it('refuses more bytes than the item announced', () => {
    const temp = new HeldTempFile(dir, 10, writeNewFileDurably, 'too-large');
    assert.throws(() => temp.write(Buffer.alloc(11)), isCode('PAYLOAD_TOO_LARGE'));
  });

  it('reports a full disk as insufficient storage, through a given disk as through the real one', async () => {
    const fullDisk = () =>
      new Writable({
        write(_chunk, _encoding, callback) {
          callback(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
        },
      });
    const temp = new HeldTempFile(dir, 100, smallFileWriterFor(fullDisk), 'full');
    temp.write(Buffer.from('data'));
    await assert.rejects(finish(temp, sha(Buffer.from('data'))), isCode('INSUFFICIENT_STORAGE'));
    assert.equal(smallFileWriterFor(diskWriteStream), writeNewFileDurably, 'the real disk is written without a stream');
  });
});
