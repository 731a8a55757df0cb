import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MANIFEST_STORED_NAME, relPathForStored, storedNameFor } from './stored-names.js';

const relPaths = fc.oneof(
  fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
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
});
