import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { davSegmentsProblem, davTempName, isShareName, isTempName, shareKeyProblem, sharePathProblem, tempNameBeside } from './share-paths.js';

// the names the two modules' tests knew these rules by, before they were one
const segmentsProblem = davSegmentsProblem;
const uploadPathProblem = (relPath: string) => sharePathProblem(relPath, 'refused');

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

/** Every path trick either module's tests tried, as a path below a share. */
const TRICKS = [
  '',
  '../x',
  'a/../../x',
  '..',
  '/etc/passwd',
  'a//b',
  'a/./b',
  '.',
  'a/',
  'nul\0byte',
  'windows\\style.txt',
  'a\\..\\..\\x',
  'x'.repeat(256),
  `${'dir/'.repeat(1100)}x`,
  'lone \uD800 surrogate',
];

/** Names our own writers give a file they have not finished; the first two WebDAV listed and accepted before. */
const TEMP_NAMES = [tempNameBeside('cat.jpg', 'upload'), tempNameBeside('report.pdf', 'restore'), davTempName()];

describe('one set of rules: every trick refused by WebDAV, the Files page and its listing alike', () => {
  it('refuses each trick for an upload or a new folder, for WebDAV, and as a key to browse, download or delete', () => {
    for (const trick of TRICKS) {
      const shown = JSON.stringify(trick.slice(0, 40));
      assert.ok(sharePathProblem(trick, 'refused'), `upload ${shown}`);
      assert.ok(sharePathProblem(trick, 'allowed'), `WebDAV path ${shown}`);
      assert.ok(davSegmentsProblem(['backup', ...trick.split('/')]), `WebDAV segments ${shown}`);
    }
    for (const trick of TRICKS.filter((trick) => !trick.includes('\\') && !trick.includes('\uD800') && trick.length < 256)) {
      assert.ok(shareKeyProblem(trick), `key ${JSON.stringify(trick)}`);
    }
  });

  it('refuses a WebDAV segment that holds a slash, whatever it would join into', () => {
    for (const segments of [['backup', 'a/b'], ['backup/..', 'x'], ['data', '/etc']]) assert.match(davSegmentsProblem(segments) ?? 'accepted', /slash/, JSON.stringify(segments));
  });

  it('never lets a request name a temporary file the server is still writing (WebDAV took them before)', () => {
    for (const name of TEMP_NAMES) {
      assert.ok(isTempName(name), name);
      assert.match(davSegmentsProblem(['backup', name]) ?? 'accepted', /still writing/, name);
      assert.match(davSegmentsProblem(['data', 'photos', name, 'x']) ?? 'accepted', /still writing/, name);
      assert.match(sharePathProblem(`photos/${name}`, 'refused') ?? 'accepted', /still writing/, name);
      assert.ok(shareKeyProblem(`photos/${name}`), name);
    }
  });

  it('tells temporary names from ordinary hidden and visible names', () => {
    for (const name of ['.DS_Store', '._cat.jpg', '.anemone', 'x.anemone-upload-1', 'cat.anemone-restore-2.jpg', 'anemone-dav-1']) assert.equal(isTempName(name), false, name);
    assert.equal(Buffer.byteLength(tempNameBeside('é'.repeat(200), 'upload')) <= 255, true, 'a long name still gives a temporary name that fits');
  });

  it('refuses on WebDAV what the Files page refused and WebDAV took: a lone surrogate, a path over 4096 bytes', () => {
    assert.match(davSegmentsProblem(['backup', 'lone \uD800 surrogate']) ?? 'accepted', /Unicode/);
    assert.match(davSegmentsProblem(['backup', ...Array.from({ length: 1100 }, () => 'dir'), 'x']) ?? 'accepted', /longer than 4096 bytes/);
  });

  it('takes hidden names on WebDAV (clients write .DS_Store), refuses them from the Files page', () => {
    assert.equal(sharePathProblem('photos/._cat.jpg', 'allowed'), undefined);
    assert.match(sharePathProblem('photos/._cat.jpg', 'refused') ?? 'accepted', /hidden/);
  });

  it('takes a listing key with an escaped name (not UTF-8), and refuses a hidden one, which the listing never shows', () => {
    assert.equal(shareKeyProblem('photos/\\ff'), undefined);
    assert.equal(shareKeyProblem('photos/été 2024/cat.jpg'), undefined);
    assert.match(shareKeyProblem('photos/.thumbs/cat.jpg') ?? 'accepted', /hidden/);
    assert.match(shareKeyProblem('.ssh') ?? 'accepted', /hidden/);
  });

  it('knows the two shares, and only them, as roots', () => {
    assert.deepEqual(['backup', 'data', 'Backup', 'bob', '', '..'].map(isShareName), [true, true, false, false, false, false]);
  });
});
