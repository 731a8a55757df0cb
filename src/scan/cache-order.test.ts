import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareUtf8, inCacheOrder } from './cache-order.js';

const byUtf8Bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('cache order', () => {
  const names = ['a', 'A', 'a/b', 'a-b', 'ab', '', 'é', '\u00FF', '\u0800', '\uD7FF', '\uE000', '\uFF21', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{1F600}x', 'x\u{1F600}', 'x\uFF21', 'x/\u{10FFFF}'];

  it('compares as the UTF-8 bytes do (SQLite’s BINARY collation)', () => {
    for (const a of names) for (const b of names) assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(byUtf8Bytes(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  });

  it('sorts items by relPath in that order, natively when no name needs the correction, leaving the list given untouched', () => {
    const items = names.map((relPath, index) => ({ relPath, index }));
    const expected = [...names].sort(byUtf8Bytes);
    assert.deepEqual(
      inCacheOrder(items).map((item) => item.relPath),
      expected,
    );
    assert.deepEqual(
      items.map((item) => item.relPath),
      names,
    );
    const ascii = ['b/c', 'b-c', 'B', 'a.txt', 'a/z'].map((relPath) => ({ relPath }));
    assert.deepEqual(
      inCacheOrder(ascii).map((item) => item.relPath),
      ascii.map((item) => item.relPath).sort(byUtf8Bytes),
    );
  });
});
