import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rawPath } from '../../test/helpers/raw-names.js';
import { keyPartFor } from '../manifest/file-keys.js';
import { MAX_STORED_PART_BYTES, MAX_STORED_PATH_BYTES, storedNameFor } from '../manifest/stored-names.js';
import { MAX_PATH_BYTES, MAX_SEGMENT_BYTES, storedPathProblem } from './safe-path.js';

describe('stored names and the peer', () => {
  it('the source knows the limits the peer checks', () => {
    assert.equal(MAX_STORED_PART_BYTES, MAX_SEGMENT_BYTES);
    assert.equal(MAX_STORED_PATH_BYTES, MAX_PATH_BYTES);
  });

  it('accepts the stored name of every file a share can hold, whatever its name', () => {
    fc.assert(
      fc.property(rawPath, (parts) => {
        const stored = storedNameFor(parts.map(keyPartFor).join('/'));
        const problem = storedPathProblem(stored);
        if (problem) throw new Error(`${JSON.stringify(stored)}: ${problem}`);
      }),
      { numRuns: 1000 },
    );
  });
});
