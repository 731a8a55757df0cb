import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BatchBodyBuilder, encodeBatchItemHead } from './batch-frame.js';
import { BatchParser } from './batch-parser.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const headerOf = (itemPath: string, bytes: Buffer) => ({ path: itemPath, size: bytes.length, ctSha256: sha(bytes) });

describe('BatchBodyBuilder', () => {
  it('frames items exactly as encodeBatchItemHead and the bytes joined, pieces copied in', () => {
    const builder = new BatchBodyBuilder(64 * 1024);
    const items = [
      { path: 'a.enc', pieces: [randomBytes(12), randomBytes(100), randomBytes(16)] },
      { path: 'folder/été ü.enc', pieces: [randomBytes(12), Buffer.alloc(0), randomBytes(16)] },
    ];
    const views = items.map((item) => builder.tryAppend(headerOf(item.path, Buffer.concat(item.pieces)), item.pieces));
    const expected = Buffer.concat(items.flatMap((item) => [encodeBatchItemHead(headerOf(item.path, Buffer.concat(item.pieces))), ...item.pieces]));
    assert.ok(builder.body().equals(expected));
    assert.equal(builder.items, 2);
    assert.equal(builder.bytes, expected.length);
    views.forEach((view, index) => assert.ok(view?.equals(Buffer.concat(items[index]?.pieces ?? [])), `item ${index}'s view is its bytes`));
    const parsed = [...new BatchParser().push(builder.body())].filter((event) => event.kind === 'item').map((event) => event.header.path);
    assert.deepEqual(parsed, ['a.enc', 'folder/été ü.enc']);
  });

  it('leaves an item that does not fit out, writing nothing of it', () => {
    const first = randomBytes(40);
    const builder = new BatchBodyBuilder(4 + Buffer.byteLength(JSON.stringify(headerOf('a.enc', first))) + first.length + 10);
    assert.ok(builder.tryAppend(headerOf('a.enc', first), [first]));
    const before = Buffer.from(builder.body());
    const second = randomBytes(20);
    assert.equal(builder.tryAppend(headerOf('b.enc', second), [second]), undefined);
    assert.ok(builder.body().equals(before));
    assert.equal(builder.items, 1);
  });

  it('refuses pieces that are not the size the header announced', () => {
    const builder = new BatchBodyBuilder(1024);
    const bytes = randomBytes(10);
    assert.throws(() => builder.tryAppend({ ...headerOf('a.enc', bytes), size: 11 }, [bytes]), RangeError);
    assert.equal(builder.bytes, 0);
  });

  it('frames pieces hashed in place exactly as tryAppend with their SHA-256 in the header', () => {
    const hashed = new BatchBodyBuilder(64 * 1024);
    const known = new BatchBodyBuilder(64 * 1024);
    const items = [
      { path: 'a.enc', pieces: [randomBytes(12), randomBytes(4096), randomBytes(16)] },
      { path: 'folder/été "ü".enc', pieces: [randomBytes(12), Buffer.alloc(0), randomBytes(16)] },
    ];
    for (const item of items) {
      const joined = Buffer.concat(item.pieces);
      const framed = hashed.tryAppendHashed(item.path, item.pieces);
      assert.equal(framed?.ctSha256, sha(joined));
      assert.ok(framed?.ciphertext.equals(joined));
      known.tryAppend(headerOf(item.path, joined), item.pieces);
    }
    assert.ok(hashed.body().equals(known.body()));
    const parsed = [...new BatchParser().push(hashed.body())].flatMap((event) => (event.kind === 'item' ? [event.header] : []));
    assert.deepEqual(parsed, items.map((item) => headerOf(item.path, Buffer.concat(item.pieces))));
  });

  it('leaves pieces to hash that do not fit out, writing nothing of them', () => {
    const first = randomBytes(40);
    const builder = new BatchBodyBuilder(4 + Buffer.byteLength(JSON.stringify(headerOf('a.enc', first))) + first.length + 10);
    assert.ok(builder.tryAppendHashed('a.enc', [first]));
    const before = Buffer.from(builder.body());
    assert.equal(builder.tryAppendHashed('b.enc', [randomBytes(20)]), undefined);
    assert.ok(builder.body().equals(before));
    assert.equal(builder.items, 1);
  });

  it('starts over after reset, in the same buffer', () => {
    const builder = new BatchBodyBuilder(1024);
    const one = randomBytes(30);
    builder.tryAppend(headerOf('one.enc', one), [one]);
    builder.reset();
    assert.equal(builder.bytes, 0);
    const two = randomBytes(5);
    builder.tryAppend(headerOf('two.enc', two), [two]);
    assert.ok(builder.body().equals(Buffer.concat([encodeBatchItemHead(headerOf('two.enc', two)), two])));
  });
});
