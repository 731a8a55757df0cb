import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberedName } from './place-upload.js';
import { uploadPathProblem } from './upload-path.js';

describe('uploadPathProblem', () => {
  it('accepts a plain path with folders, spaces and any script', () => {
    for (const accepted of ['cat.jpg', 'photos/été 2024/cat (1).jpg', '写真/猫.png', 'a/b/c/d.tar.gz']) assert.equal(uploadPathProblem(accepted), undefined, accepted);
  });

  it('refuses what could land outside the share, be misread, or hide from the listing', () => {
    const refused = {
      '': /empty/,
      '../x': /\.\./,
      'a/../../x': /\.\./,
      '/etc/passwd': /absolute/,
      'a//b': /empty/,
      'a/./b': /empty or "\."/,
      'nul\0byte': /NUL/,
      'windows\\style.txt': /backslash/,
      '.hidden': /hidden/,
      'folder/.git/config': /hidden/,
      [`${'x'.repeat(256)}`]: /longer than 255 bytes/,
      [`${'dir/'.repeat(1100)}x`]: /longer than 4096 bytes/,
      'lone \uD800 surrogate': /Unicode/,
    };
    for (const [relPath, why] of Object.entries(refused)) assert.match(uploadPathProblem(relPath) ?? 'accepted', why, JSON.stringify(relPath.slice(0, 40)));
  });
});

describe('numberedName', () => {
  it('puts the number before the last extension, as file managers do', () => {
    assert.equal(numberedName('report.pdf', 0), 'report.pdf');
    assert.equal(numberedName('report.pdf', 1), 'report (1).pdf');
    assert.equal(numberedName('archive.tar.gz', 2), 'archive.tar (2).gz');
    assert.equal(numberedName('README', 3), 'README (3)');
    assert.equal(numberedName('.profile', 1), '.profile (1)');
  });
});
