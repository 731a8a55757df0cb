import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { groupedKeyText, parseKeyText } from './key-text.js';

const keys = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes));

describe('user key text', () => {
  it('shows a key as 13 dash-joined groups of 4 characters without I, L, O or U', () => {
    fc.assert(
      fc.property(keys, (key) => {
        assert.match(groupedKeyText(key), /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){12}$/);
      }),
    );
  });

  it('encodes known keys in Crockford base32', () => {
    assert.equal(groupedKeyText(Buffer.alloc(32)), '0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000');
    assert.equal(groupedKeyText(Buffer.alloc(32, 0xff)), 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZG');
    // 0x00 0x44 0x32 0x14 0xc7 = 00000 00001 00010 00011 00100 00101 00110 00111
    const key = Buffer.concat([Buffer.from([0x00, 0x44, 0x32, 0x14, 0xc7]), Buffer.alloc(27)]);
    assert.ok(groupedKeyText(key).startsWith('0123-4567-0000'));
  });

  it('reads back the grouped form and the base64 form to the same key', () => {
    fc.assert(
      fc.property(keys, (key) => {
        assert.deepEqual(parseKeyText(groupedKeyText(key)), key);
        assert.deepEqual(parseKeyText(key.toString('base64')), key);
      }),
    );
  });

  it('ignores case, spaces, line breaks and dashes, and reads O as 0 and I, L as 1', () => {
    fc.assert(
      fc.property(keys, (key) => {
        const shown = groupedKeyText(key);
        assert.deepEqual(parseKeyText(shown.toLowerCase()), key);
        assert.deepEqual(parseKeyText(` ${shown.replaceAll('-', ' ')}\n`), key);
        assert.deepEqual(parseKeyText(shown.replaceAll('-', '')), key);
        assert.deepEqual(parseKeyText(shown.replaceAll('0', 'O').replaceAll('1', 'l')), key);
        assert.deepEqual(parseKeyText(shown.replaceAll('1', 'I').replaceAll('0', 'o')), key);
      }),
    );
  });

  it('accepts base64 split by spaces or line breaks, as a printed key may be', () => {
    const key = Buffer.alloc(32, 7);
    const text = key.toString('base64');
    assert.deepEqual(parseKeyText(`${text.slice(0, 22)}\n${text.slice(22)}`), key);
  });

  it('refuses text that is neither form', () => {
    const shown = groupedKeyText(Buffer.alloc(32, 9));
    assert.equal(parseKeyText(''), undefined);
    assert.equal(parseKeyText(shown.slice(0, -1)), undefined, 'a symbol short');
    assert.equal(parseKeyText(`${shown}0`), undefined, 'a symbol too many');
    assert.equal(parseKeyText(shown.replace(/^./, 'U')), undefined, 'U is not in the alphabet');
    assert.equal(parseKeyText(shown.replace(/.$/, '1')), undefined, 'non-zero bits after the key: a typo in the last group');
    assert.equal(parseKeyText(Buffer.alloc(31).toString('base64')), undefined, '31 bytes');
    assert.equal(parseKeyText(Buffer.alloc(32).toString('base64').slice(0, -1)), undefined, 'base64 without its padding');
  });
});
