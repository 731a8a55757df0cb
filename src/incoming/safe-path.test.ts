import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnemoneError } from '../errors/catalogue.js';
import { safeStoredPathSegments, storedPathProblem } from './safe-path.js';

/** Paths a hostile source might send, each with the words its refusal must contain. */
const HOSTILE: [string, RegExp][] = [
  ['', /empty/],
  ['../x.enc', /"\.\."/],
  ['..', /"\.\."/],
  ['a/../../b.enc', /"\.\."/],
  ['a/..', /"\.\."/],
  ['./a.enc', /"\."/],
  ['a/./b.enc', /"\."/],
  ['/etc/passwd.enc', /absolute/],
  ['//server/share.enc', /absolute/],
  ['a\\b.enc', /backslash/],
  ['..\\..\\windows.enc', /backslash/],
  ['C:\\x.enc', /backslash/],
  ['a\u0000b.enc', /NUL/],
  ['a.enc\u0000', /NUL/],
  ['e\u0301.enc', /NFC/],
  ['dir/Ame\u0301lie.enc', /NFC/],
  ['\uD800.enc', /Unicode/],
  ['a/\uDC00b.enc', /Unicode/],
  ['.hidden.enc', /hidden/],
  ['a/.git/config.enc', /hidden/],
  ['.anemone-tmp-1234', /hidden/],
  ['a/.anemone-tmp-1234.enc', /hidden/],
  ['a//b.enc', /empty part/],
  ['a/b.enc/', /empty part/],
  [`${'x'.repeat(252)}.enc`, /255 bytes/],
  [`${'é'.repeat(126)}.enc`, /255 bytes/],
  [`${'a/'.repeat(2047)}b.enc`, /4096 bytes/],
  ['_manifest.json.enc', /reserved/],
  ['_manifest.json.enc/x.enc', /reserved/],
  ['x.txt', /\.enc/],
  ['x.enc.txt', /\.enc/],
  ['folder', /\.enc/],
];

const SAFE = [
  'a.enc',
  'photos/2024/cat.jpg.enc',
  '__manifest.json.enc',
  'sub/_manifest.json.enc',
  'Am\u00e9lie/r\u00e9sum\u00e9.pdf.enc',
  '日本語/ファイル.txt.enc',
  'a..b.enc',
  'dir.with.dots/x.enc',
  ' leading space.enc',
  `${'x'.repeat(251)}.enc`,
  `${'é'.repeat(125)}.enc`,
  'emoji 🐙.enc',
];

describe('stored path rules', () => {
  for (const [storedPath, reason] of HOSTILE) {
    it(`refuses ${JSON.stringify(storedPath.length > 40 ? `${storedPath.slice(0, 40)}…` : storedPath)}`, () => {
      const problem = storedPathProblem(storedPath);
      assert.ok(problem, 'refused');
      assert.match(problem, reason);
      assert.throws(() => safeStoredPathSegments(storedPath), (error: unknown) => error instanceof AnemoneError && error.code === 'PATH_INVALID');
    });
  }

  for (const storedPath of SAFE) {
    it(`accepts ${JSON.stringify(storedPath.length > 40 ? `${storedPath.slice(0, 40)}…` : storedPath)}`, () => {
      assert.equal(storedPathProblem(storedPath), undefined);
      assert.deepEqual(safeStoredPathSegments(storedPath), storedPath.split('/'));
    });
  }

  it('accepts a path of exactly 4096 bytes and refuses one byte more', () => {
    const segment = 'x'.repeat(250);
    const base = Array.from({ length: 16 }, () => segment).join('/'); // 16 * 251 - 1 = 4015 bytes
    const exact = `${base}/${'y'.repeat(4096 - 4015 - 1 - 4)}.enc`;
    assert.equal(Buffer.byteLength(exact), 4096);
    assert.equal(storedPathProblem(exact), undefined);
    assert.match(storedPathProblem(`${base}/${'y'.repeat(4096 - 4015 - 4)}.enc`) ?? '', /4096/);
  });

  it('never accepts a path that would leave the share folder, whatever its bytes', () => {
    const alphabet = ['a', '.', '/', '\\', '\u0000', 'é', 'e\u0301', '..', '.enc', '_'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 20_000; round++) {
      const parts = Array.from({ length: 1 + (random() % 8) }, () => alphabet[random() % alphabet.length]);
      const candidate = `${parts.join('')}.enc`;
      if (storedPathProblem(candidate) !== undefined) continue;
      const segments = candidate.split('/');
      assert.ok(!candidate.startsWith('/'), candidate);
      assert.ok(segments.every((segment) => segment !== '..' && segment !== '.' && segment !== '' && !segment.startsWith('.')), candidate);
      assert.ok(!candidate.includes('\\') && !candidate.includes('\u0000'), candidate);
    }
  });
});
