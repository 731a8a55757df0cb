import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, beforeEach, describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { PartialUploads } from './partial-uploads.js';

const target = { source: 'server-a', user: 'alice', share: 'backup', storedPath: 'videos/big.bin.enc' };
const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest();
const ID = 'a'.repeat(32);
const OTHER_ID = 'b'.repeat(32);

/** A body that sends `bytes` and then drops, as a cut connection does. */
function droppedAfter(bytes: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield bytes;
      throw new Error('aborted');
    })(),
  );
}

describe('PartialUploads', () => {
  let root: string;
  let clock: number;
  let partials: PartialUploads;
  const object = randomBytes(300_000);

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'anemone-partials-'));
    clock = Date.parse('2026-01-01T00:00:00Z');
    partials = new PartialUploads({ root, expiryMs: 60_000, maxPerSource: 2, now: () => clock });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps what arrived before a drop, answers it as the offset, and completes from there against the whole object hash', async () => {
    assert.equal(await partials.offset(target, ID, object.length), 0);
    const first = await partials.append(target, ID, 0, droppedAfter(object.subarray(0, 100_000)));
    assert.ok('incomplete' in first);
    const held = await partials.offset(target, ID, object.length);
    // the trailer holdback keeps back 32 bytes it cannot yet tell from a trailer
    assert.ok(held >= 100_000 - 32 && held <= 100_000, `held ${held}`);
    const done = await partials.append(target, ID, held, Readable.from([object.subarray(held), digest(object)]));
    assert.ok('partPath' in done);
    assert.ok((await readFile(done.partPath)).equals(object));
  });

  it('refuses an append at another offset than the one it holds (409), and one of an unknown upload (404)', async () => {
    await partials.offset(target, ID, object.length);
    await assert.rejects(partials.append(target, ID, 10, Readable.from([object.subarray(10)])), (error: unknown) => error instanceof AnemoneError && error.code === 'UPLOAD_OFFSET_MISMATCH');
    await assert.rejects(partials.append(target, OTHER_ID, 0, Readable.from([object])), (error: unknown) => error instanceof AnemoneError && error.code === 'NOT_FOUND');
  });

  it('discards the partial when the whole object does not match its trailer', async () => {
    await partials.offset(target, ID, object.length);
    await assert.rejects(partials.append(target, ID, 0, Readable.from([object, digest(Buffer.from('other'))])), (error: unknown) => error instanceof AnemoneError && error.code === 'HASH_MISMATCH');
    assert.deepEqual(await readdir(path.join(root, '.partial', 'server-a')), []);
  });

  it('starts over when the source names another upload id for the path (its file changed)', async () => {
    await partials.offset(target, ID, object.length);
    await partials.append(target, ID, 0, droppedAfter(object.subarray(0, 50_000)));
    assert.ok((await partials.offset(target, ID, object.length)) > 0);
    assert.equal(await partials.offset(target, OTHER_ID, object.length), 0);
    assert.equal(await partials.bytesHeld('server-a'), 0);
  });

  it('removes partials untouched for longer than the expiry, and keeps a source to its bound', async () => {
    await partials.offset(target, ID, object.length);
    await partials.append(target, ID, 0, droppedAfter(object.subarray(0, 50_000)));
    clock += 30_000;
    assert.equal(await partials.removeExpired(), 0, 'not expired yet');
    clock += 31_000;
    assert.equal(await partials.removeExpired(), 1);
    assert.equal(await partials.offset(target, ID, object.length), 0, 'gone: starts from 0');

    for (const name of ['one', 'two', 'three']) {
      clock += 1000;
      await partials.offset({ ...target, storedPath: `${name}.enc` }, ID, 10);
    }
    const files = await readdir(path.join(root, '.partial', 'server-a'));
    assert.equal(files.filter((name) => name.endsWith('.json')).length, 2, 'at most two per source: the oldest went');
  });

  it('does not follow a symlink planted where it writes a partial\'s record (`<name>.new`)', async () => {
    await partials.offset(target, ID, object.length);
    const folder = path.join(root, '.partial', 'server-a');
    const record = (await readdir(folder)).find((name) => name.endsWith('.json')) as string;
    const victim = path.join(root, 'victim.txt');
    await writeFile(victim, 'not to be overwritten');
    await symlink(victim, path.join(folder, `${record}.new`));
    // another upload id rewrites the record through `<record>.new`
    assert.equal(await partials.offset(target, OTHER_ID, object.length), 0);
    assert.equal(await readFile(victim, 'utf8'), 'not to be overwritten');
    assert.equal(JSON.parse(await readFile(path.join(folder, record), 'utf8')).uploadId, OTHER_ID);
    assert.deepEqual((await readdir(folder)).filter((name) => name.endsWith('.new')), [], 'the link was removed, not written through');
  });
});
