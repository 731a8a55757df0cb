import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rawComponent, rawPath, rawPathId } from '../../test/helpers/raw-names.js';
import { displayPath, fsPathFor, keyPartFor, rawPartsOf } from './file-keys.js';
import { relPathProblem } from './rel-path.js';

const keyOf = (parts: readonly Buffer[]) => parts.map(keyPartFor).join('/');

describe('file keys', () => {
  it('keeps an ordinary name (UTF-8, NFC, no backslash) as its own text, as before', () => {
    for (const name of ['photos/cat.jpg', 'été/café.txt', '_manifest.json', 'a b/c']) {
      assert.equal(keyOf(name.split('/').map((part) => Buffer.from(part))), name);
    }
  });

  it('escapes NFD, non-UTF-8 and backslash names as \\ + hex of their bytes', () => {
    assert.equal(keyPartFor(Buffer.from('cafe\u0301')), '\\63616665cc81');
    assert.equal(keyPartFor(Buffer.from([0x6c, 0xe9])), '\\6ce9');
    assert.equal(keyPartFor(Buffer.from('a\\b')), '\\615c62');
  });

  it('gives distinct byte paths distinct keys', () => {
    fc.assert(
      fc.property(rawPath, rawPath, (a, b) => rawPathId(a) === rawPathId(b) || keyOf(a) !== keyOf(b)),
      { numRuns: 500 },
    );
  });

  it('maps a key back to the exact bytes', () => {
    fc.assert(fc.property(rawPath, (parts) => rawPathId(rawPartsOf(keyOf(parts))) === rawPathId(parts)));
  });

  it('makes keys that are NFC text, valid to restore', () => {
    fc.assert(
      fc.property(rawPath, (parts) => {
        const key = keyOf(parts);
        return key.normalize('NFC') === key && relPathProblem(key) === undefined;
      }),
    );
  });

  it('refuses escaped parts that are not the one canonical form', () => {
    for (const key of ['\\6162', '\\6CE9', '\\6ce', '\\', '\\2e2e', '\\612f62', 'a\\b']) {
      assert.notEqual(relPathProblem(key), undefined, key);
    }
  });

  it('shows a readable name, decoded lossily', () => {
    assert.equal(displayPath(`x/${keyPartFor(Buffer.from([0x6c, 0xe9]))}`), 'x/l\ufffd');
    assert.equal(displayPath(keyPartFor(Buffer.from('a\\b'))), 'a\\b');
  });

  it('reads a file at the exact bytes of its name', () => {
    fc.assert(
      fc.property(rawComponent, (raw) => {
        const target = fsPathFor('/share', keyPartFor(raw));
        const bytes = typeof target === 'string' ? Buffer.from(target, 'utf8') : target;
        return bytes.equals(Buffer.concat([Buffer.from(path.resolve('/share') + path.sep), raw]));
      }),
    );
  });
});
