import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relPathProblem } from './rel-path.js';

describe('relPath safety', () => {
  it('accepts ordinary relative paths', () => {
    for (const relPath of ['a', 'photos/été café.jpg', '.hidden', 'a/..b/c..', '_manifest.json']) {
      assert.equal(relPathProblem(relPath), undefined, relPath);
    }
  });

  it('refuses paths that could land outside the target folder or are ambiguous', () => {
    for (const relPath of ['', '/etc/passwd', '../x', 'a/../../x', 'a/..', 'a\\..\\x', 'a\0b', 'a//b', './a', 'a/', 'a/./b']) {
      assert.notEqual(relPathProblem(relPath), undefined, JSON.stringify(relPath));
    }
  });
});
