import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseManifestPieces } from './manifest-pieces.js';
import { ManifestState } from './manifest-state.js';
import { ManifestError, parseManifest, type Manifest, type ManifestFile } from './manifest.js';

const envelope = { version: 1, sourceServer: 'home', user: 'alice', share: 'backup', generation: 9, createdAt: '2026-12-06T04:00:00.000Z' } as const;
const digest = (n: number) => n.toString(16).padStart(64, '0');
const entry = (n: number): ManifestFile => ({ size: n, mtimeMs: 1765000000000 + n / 4, sha256: digest(n), ctSha256: digest(n + 1) });

/** The JSON of `{ ...envelope, files }` split as ManifestState.serializedPieces splits it: after whole entries, at `cuts` (entry counts). */
function piecesAtEntries(members: [string, ManifestFile][], cuts: number[]): Buffer[] {
  const json = members.map(([relPath, file]) => `${JSON.stringify(relPath)}:${JSON.stringify(file)}`);
  const opening = JSON.stringify({ ...envelope, files: {} }).slice(0, -2);
  const bounds = [...new Set(cuts.map((cut) => Math.min(cut, json.length)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const to of [...bounds, json.length]) {
    const lead = pieces.length === 0 ? opening : from > 0 && to > from ? ',' : '';
    pieces.push(lead + json.slice(from, to).join(','));
    from = to;
  }
  pieces[pieces.length - 1] += '}}';
  return pieces.map((piece) => Buffer.from(piece, 'utf8'));
}

/** The whole JSON, the entries in the members' order (as the Map of ManifestState serializes them; `0` and `17` included). */
function wholeOf(members: [string, ManifestFile][]): string {
  const json = members.map(([relPath, file]) => `${JSON.stringify(relPath)}:${JSON.stringify(file)}`);
  return `${JSON.stringify({ ...envelope, files: {} }).slice(0, -2)}${json.join(',')}}}`;
}

const name = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  fc.constantFrom('__proto__', 'constructor', '0', '17', 'a,b', '{"x":1}', '}}', 'Zürich 東京 𝄞'),
  fc.string({ unit: fc.constantFrom('"', '\\', ',', '}', ':', '\u0001', 'é', '𝄞'), minLength: 1, maxLength: 12 }),
);
const members = fc.uniqueArray(fc.tuple(name, fc.nat({ max: 10_000 }).map(entry)), { selector: ([relPath]) => relPath, maxLength: 60 });

describe('a full manifest parsed from the pieces it was saved in', () => {
  it('gives what parsing the joined JSON gives, names of any characters included, for pieces split after whole entries', () => {
    fc.assert(
      fc.property(members, fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 6 }), (files, cuts) => {
        const pieces = piecesAtEntries(files, cuts);
        fc.pre(pieces.length > 1);
        assert.equal(Buffer.concat(pieces).toString('utf8'), wholeOf(files), 'the pieces join into the whole JSON');
        const manifest = parseManifestPieces(pieces);
        assert.deepEqual(manifest, parseManifest(wholeOf(files)));
        assert.deepEqual(Object.keys((manifest as Manifest).files), Object.keys(parseManifest(wholeOf(files)).files), 'the same names in the same order');
      }),
      { numRuns: 300 },
    );
  });

  it('never gives another manifest than the whole JSON does, wherever the pieces are cut: undefined when not after whole entries', () => {
    fc.assert(
      fc.property(members, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), (files, offsets) => {
        const whole = Buffer.from(wholeOf(files), 'utf8');
        const cuts = [...new Set(offsets.map((offset) => offset % (whole.length + 1)))].sort((a, b) => a - b);
        const pieces = [...cuts, whole.length].map((to, index) => whole.subarray(index === 0 ? 0 : (cuts[index - 1] as number), to));
        const manifest = parseManifestPieces(pieces);
        if (manifest !== undefined) assert.deepEqual(manifest, parseManifest(whole));
      }),
      { numRuns: 500 },
    );
  });

  it('reads the pieces ManifestState.serializedPieces writes, as the source saves its copy', () => {
    const files: Record<string, ManifestFile> = {};
    for (let n = 0; n < 8000; n++) files[`Fotos/${n % 7}/Bild ${n} — Zürich.jpg`] = entry(n);
    const pieces = [...new ManifestState(files).serializedPieces(envelope)];
    assert.ok(pieces.length > 1, 'more than one piece of 1 MiB');
    assert.deepEqual(parseManifestPieces(pieces), parseManifest(Buffer.concat(pieces)));
  });

  it('leaves one piece, no pieces and bytes that are not such JSON to the whole parse (undefined)', () => {
    const [whole] = piecesAtEntries([['a', entry(1)]], []);
    assert.equal(parseManifestPieces([whole as Buffer]), undefined);
    assert.equal(parseManifestPieces([]), undefined);
    assert.equal(parseManifestPieces([Buffer.from('{"version":1,"files":{'), Buffer.from('"a":1')]), undefined, 'no closing braces');
    assert.equal(parseManifestPieces([Buffer.from('[1,'), Buffer.from('2]')]), undefined);
    // a piece that does not start with the comma after an earlier entry: its join is not JSON
    const [first, second] = piecesAtEntries([['a', entry(1)], ['b', entry(2)]], [1]);
    assert.equal(parseManifestPieces([first as Buffer, (second as Buffer).subarray(1)]), undefined);
    // the files not the envelope's last member: the braces did not close them
    assert.equal(parseManifestPieces([Buffer.from('{"files":{"a":{'), Buffer.from('}}')]), undefined);
  });

  it('throws what parseManifest throws for JSON of the wrong form', () => {
    const pieces = piecesAtEntries([['a', entry(1)], ['b', { ...entry(2), sha256: 'not hex' }]], [1]);
    assert.throws(() => parseManifestPieces(pieces), (error) => error instanceof ManifestError && error.code === 'invalid-manifest' && /files\.b\.sha256/.test(error.message));
    assert.throws(() => parseManifest(Buffer.concat(pieces)), /files\.b\.sha256/);
  });
});
