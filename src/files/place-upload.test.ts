import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberedName } from './place-upload.js';

describe('numberedName', () => {
  it('puts the number before the last extension, as file managers do', () => {
    assert.equal(numberedName('report.pdf', 0), 'report.pdf');
    assert.equal(numberedName('report.pdf', 1), 'report (1).pdf');
    assert.equal(numberedName('archive.tar.gz', 2), 'archive.tar (2).gz');
    assert.equal(numberedName('README', 3), 'README (3)');
    assert.equal(numberedName('.profile', 1), '.profile (1)');
  });
});
