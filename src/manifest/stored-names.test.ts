import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rawPath, rawPathId } from '../../test/helpers/raw-names.js';
import { keyPartFor } from './file-keys.js';
import { MANIFEST_STORED_NAME, relPathForStored, storedNameFor, storedNameIndex } from './stored-names.js';

const keyOf = (parts: readonly Buffer[]) => parts.map(keyPartFor).join('/');

const relPaths = fc.oneof(
  fc.array(fc.string({ minLength: 1, maxLength: 8 }).filter((part) => !part.includes('\\')), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
  fc.constantFrom('_manifest.json', '__manifest.json', '_', '__', '_x/y', 'a/_b', 'x.enc', '_manifest.json.enc'),
);

describe('stored names', () => {
  it('stores a path as <relPath>.enc', () => {
    assert.equal(storedNameFor('photos/cat.jpg'), 'photos/cat.jpg.enc');
  });

  it('escapes a first part that starts with _', () => {
    assert.equal(storedNameFor('_manifest.json'), '__manifest.json.enc');
    assert.equal(storedNameFor('_x/y'), '__x/y.enc');
    assert.equal(storedNameFor('a/_b'), 'a/_b.enc');
  });

  it('maps every stored name back to its path', () => {
    fc.assert(fc.property(relPaths, (relPath) => relPathForStored(storedNameFor(relPath)) === relPath));
  });

  it('never stores a user file under the manifest name', () => {
    fc.assert(fc.property(relPaths, (relPath) => storedNameFor(relPath) !== MANIFEST_STORED_NAME));
  });

  it('reads no user path from the manifest, other protocol names, or files without .enc', () => {
    for (const storedPath of [MANIFEST_STORED_NAME, '_other.enc', '_dir/x.enc', 'notes.txt', '.enc']) {
      assert.equal(relPathForStored(storedPath), null, storedPath);
    }
  });

  it('stores a name that would not fit the peer under the hash of its key', () => {
    const long = `${'n'.repeat(252)}`;
    assert.match(storedNameFor(long), /^_hashed\/[0-9a-f]{64}\.enc$/);
    assert.equal(storedNameFor('n'.repeat(251)), `${'n'.repeat(251)}.enc`);
    assert.match(storedNameFor(`_${'n'.repeat(251)}`), /^_hashed\//);
    assert.match(storedNameFor(`${'d'.repeat(200)}/`.repeat(21) + 'f'), /^_hashed\//);
    assert.match(storedNameFor(keyPartFor(Buffer.from('a\\b'))), /^_hashed\//);
  });

  it('gives distinct byte paths distinct stored names, every part within 255 bytes', () => {
    fc.assert(
      fc.property(rawPath, rawPath, (a, b) => {
        const [storedA, storedB] = [storedNameFor(keyOf(a)), storedNameFor(keyOf(b))];
        const fits = [storedA, storedB].every((stored) => stored.split('/').every((part) => Buffer.byteLength(part) <= 255));
        return fits && (rawPathId(a) === rawPathId(b) || storedA !== storedB);
      }),
      { numRuns: 500 },
    );
  });

  it('is stable: the same key is always stored under the same name', () => {
    fc.assert(fc.property(rawPath, (parts) => storedNameFor(keyOf(parts)) === storedNameFor(keyOf(parts.map((part) => Buffer.from(part))))));
  });

  it('resolves hashed names through the manifest, and only through it', () => {
    fc.assert(
      fc.property(rawPath, (parts) => {
        const key = keyOf(parts);
        const stored = storedNameFor(key);
        const fromName = relPathForStored(stored);
        return storedNameIndex([key]).get(stored) === key && (fromName === key || (fromName === null && stored.startsWith('_hashed/')));
      }),
    );
  });
});
