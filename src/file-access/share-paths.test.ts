import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { segmentsProblem } from './share-paths.js';

describe('segmentsProblem: a WebDAV path names one place in the user\'s two shares', () => {
  it('takes the root, the two shares and ordinary names below them', () => {
    for (const segments of [[], ['backup'], ['data'], ['backup', 'photos', 'été 2026.jpg'], ['data', '.DS_Store']]) {
      assert.equal(segmentsProblem(segments), undefined, segments.join('/'));
    }
  });

  it('refuses anything beside the two shares', () => {
    for (const segments of [['bob'], ['Backup'], ['secrets'], ['..']]) assert.ok(segmentsProblem(segments), segments.join('/'));
  });

  it('refuses names that are not one entry of a folder', () => {
    const refused = [
      ['backup', '..', '..', 'bob'],
      ['backup', '.'],
      ['backup', ''],
      ['backup', 'a/b'],
      ['backup', 'a\\b'],
      ['backup', 'nul\0.txt'],
      ['backup', 'x'.repeat(256)],
    ];
    for (const segments of refused) assert.ok(segmentsProblem(segments), JSON.stringify(segments));
  });
});
