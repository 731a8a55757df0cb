import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ADDED_ENTRY_MIN_JSON_BYTES, ManifestState } from './manifest-state.js';
import { parseManifest, serializeManifest, type Manifest, type ManifestFile } from './manifest.js';

const sha = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const entry = (size: number, mtimeMs = 1, content = size): ManifestFile => ({ size, mtimeMs, sha256: sha(content), ctSha256: sha(content + 1000) });
const envelope = { version: 1 as const, sourceServer: 'home', user: 'alice', share: 'backup', generation: 7, createdAt: '2026-12-05T00:00:00.000Z' };

/** The files of `entries` as a plain object in that order, `__proto__` an own key like any other. */
function filesOf(entries: Iterable<[string, ManifestFile]>): Manifest['files'] {
  const files: Manifest['files'] = {};
  for (const [relPath, value] of entries) Object.defineProperty(files, relPath, { value, enumerable: true, writable: true, configurable: true });
  return files;
}

/** What main's ManifestState did: JSON.stringify of the whole manifest, the files in the order they were first set. */
function expectedJson(entries: Map<string, ManifestFile>): Buffer {
  return serializeManifest({ ...envelope, files: filesOf(entries) });
}

describe('ManifestState', () => {
  it('serializes to the JSON serializeManifest gives, names like __proto__, quotes and accents included', () => {
    const names = ['a.txt', '__proto__', 'constructor', 'dir/"quoted"\\back', 'été/ünïcode ✓', '123', 'x'.repeat(300)];
    const files: Manifest['files'] = {};
    names.forEach((relPath, index) => Object.defineProperty(files, relPath, { value: entry(index), enumerable: true, writable: true, configurable: true }));
    const state = new ManifestState(null);
    for (const relPath of names) state.set(relPath, files[relPath] as ManifestFile);
    const json = state.serialize(envelope);
    assert.deepEqual(parseManifest(json), parseManifest(serializeManifest({ ...envelope, files })));
    assert.ok(Object.hasOwn(parseManifest(json).files, '__proto__'));
  });

  it('serializes many entries across its pieces and an empty one alike', () => {
    const state = new ManifestState(null);
    assert.deepEqual(parseManifest(state.serialize(envelope)), { ...envelope, files: {} });
    for (let i = 0; i < 20_000; i += 1) state.set(`folder-${i % 50}/file-${i}.bin`, entry(i));
    const parsed = parseManifest(state.serialize(envelope));
    assert.equal(Object.keys(parsed.files).length, 20_000);
    assert.deepEqual(parsed.files['folder-7/file-12357.bin'], entry(12357));
  });

  it('writes its JSON byte for byte as serializeManifest across pieces: long and escaped names, any number, entries that do not pack', () => {
    // names of up to 12,000 UTF-16 units and a few thousand entries: pieces of 1 MiB end at every kind of entry
    const name = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 4000 }),
      fc.string({ unit: fc.constantFrom('"', '\\', '\u0001', '\ud800', 'é', '𝄞'), minLength: 1, maxLength: 3000 }),
    );
    const number = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.double(), fc.constantFrom(-0, 2 ** 53, 1e21, -1, 0.1, -0.0000012345678901234567));
    const file = fc.tuple(number, number, fc.boolean()).map(([size, mtimeMs, packs]): ManifestFile => {
      const value = entry(0, 0, Math.abs(size) % 97);
      return { ...value, size, mtimeMs, ...(packs ? {} : { sha256: value.sha256.toUpperCase() }) };
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(name, file), { minLength: 1, maxLength: 600 }), fc.nat({ max: 4000 }), (files, filler) => {
        const state = new ManifestState(null);
        const expected = new Map<string, ManifestFile>();
        for (let i = 0; i < filler; i += 1) {
          state.set(`fill/${i}`, entry(i, i));
          expected.set(`fill/${i}`, entry(i, i));
        }
        for (const [relPath, value] of files) {
          state.set(relPath, value);
          expected.set(relPath, value);
        }
        const pieces = [...state.serializedPieces(envelope)];
        assert.deepEqual(Buffer.concat(pieces), expectedJson(expected));
        assert.ok(pieces.every((piece) => piece.length <= 1 << 20));
      }),
      { numRuns: 25 },
    );
  });

  it('writes an envelope of more than a piece whole', () => {
    // nothing bounds a share's or a user's name: the head must not be cut at the first piece's end
    const long = { ...envelope, share: 'é'.repeat(600_000) };
    const state = new ManifestState({ a: entry(1) });
    assert.deepEqual(Buffer.concat([...state.serializedPieces(long)]), serializeManifest({ ...long, files: { a: entry(1) } }));
  });

  it('ends a piece before an entry that would not fit whole, however many bytes its name takes', () => {
    // ~1 MiB less a few KiB of short entries, a name that shifts what follows by a few bytes at a time, then long
    // names of 2- and 4-byte characters and an entry that does not pack: each of them straddles the first piece's end
    const filler = new Map<string, ManifestFile>();
    let bytes = 0;
    for (let i = 0; bytes < (1 << 20) - 12_000; i += 1) {
      filler.set(`fill/${i}`, entry(i, i));
      bytes += JSON.stringify(`fill/${i}`).length + JSON.stringify(entry(i, i)).length + 2;
    }
    const long: [string, ManifestFile][] = [
      [`é/${'é'.repeat(1500)}`, entry(1)],
      [`𝄞/${'𝄞'.repeat(800)}`, entry(2)],
      ['upper', { ...entry(3), ctSha256: sha(3).toUpperCase() }],
    ];
    for (let shift = 0; shift < 12_000; shift += 293) {
      const expected = new Map([...filler, [`pad/${'x'.repeat(shift)}`, entry(0)], ...long]);
      const state = new ManifestState(null);
      for (const [relPath, value] of expected) state.set(relPath, value);
      assert.deepEqual(Buffer.concat([...state.serializedPieces(envelope)]), expectedJson(expected), `shifted by ${shift}`);
    }
  });

  it('hands over what changed since the last call: set, replaced, deleted; a path set back to its entry is no change', () => {
    const state = new ManifestState({ kept: entry(1), edited: entry(2), gone: entry(3), back: entry(4) });
    const none = state.takeChanges();
    assert.deepEqual([Object.keys(none.files), none.deleted], [[], []]);
    state.set('added', entry(5));
    state.set('edited', entry(2, 99));
    state.delete('gone');
    state.set('back', entry(4, 50));
    state.set('back', entry(4));
    state.delete('never-there');
    const change = state.takeChanges();
    assert.deepEqual({ ...change.files }, { added: entry(5), edited: entry(2, 99) });
    assert.deepEqual(change.deleted, ['gone']);
    // the next call starts from there
    state.set('added', entry(6));
    state.delete('edited');
    const next = state.takeChanges();
    assert.deepEqual({ ...next.files }, { added: entry(6) });
    assert.deepEqual(next.deleted, ['edited']);
    assert.deepEqual(Object.keys(state.toFiles()).sort(), ['added', 'back', 'kept']);
  });

  it('tells whether anything changed without building the delta, and starts counting again as takeChanges does', () => {
    const names = ['a', 'b', 'c', '__proto__', 'd/é'];
    const value = fc.oneof(
      fc.integer({ min: 0, max: 2 }).map((n) => entry(n)),
      fc.integer({ min: 0, max: 2 }).map((n) => ({ ...entry(n), sha256: sha(n).toUpperCase() })),
    );
    const op = fc.tuple(fc.constantFrom('set', 'delete'), fc.constantFrom(...names), value);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(op, { maxLength: 8 }), fc.boolean()), { maxLength: 5 }), (rounds) => {
        // the same changes to two states: one forgets them, the other hands them over
        const dropping = new ManifestState({ a: entry(0), b: { ...entry(1), sha256: sha(1).toUpperCase() } });
        const taking = new ManifestState({ a: entry(0), b: { ...entry(1), sha256: sha(1).toUpperCase() } });
        for (const [round, drop] of rounds) {
          for (const state of [dropping, taking]) {
            for (const [kind, relPath, file] of round) {
              if (kind === 'set') state.set(relPath, file);
              else state.delete(relPath);
            }
          }
          const change = taking.takeChanges();
          const changed = Object.keys(change.files).length > 0 || change.deleted.length > 0;
          // at most the JSON of the delta's entries: a writer that finds it too large may skip building it
          assert.ok(dropping.minChangeBytes() <= JSON.stringify(change.files).length - 2, 'minChangeBytes above the delta');
          if (drop) assert.equal(dropping.dropChanges(), changed);
          else assert.deepEqual(dropping.takeChanges(), change);
        }
      }),
    );
  });

  it('counts at least the shortest JSON an entry can have for each path added', () => {
    const shortest = JSON.stringify({ p: { size: 0, mtimeMs: 0, sha256: sha(0), ctSha256: sha(1) } }).length - 2;
    assert.equal(ADDED_ENTRY_MIN_JSON_BYTES, shortest);
    const state = new ManifestState({ old: entry(1) });
    state.set('new-1', entry(2));
    state.set('new-2', entry(3));
    state.set('old', entry(4));
    state.set('gone', entry(5));
    state.delete('gone');
    assert.equal(state.minChangeBytes(), 2 * ADDED_ENTRY_MIN_JSON_BYTES, 'the two paths added and still there');
    assert.equal(state.dropChanges(), true);
    assert.equal(state.minChangeBytes(), 0);
    assert.equal(state.dropChanges(), false);
  });

  it('keeps the totals, and never changes the files it started from', () => {
    const start = { a: entry(10), b: entry(20) };
    const state = new ManifestState(start);
    state.set('a', entry(15));
    state.set('c', entry(5));
    state.delete('b');
    assert.deepEqual(state.totals(), { fileCount: 2, bytes: 20 });
    assert.deepEqual(start, { a: entry(10), b: entry(20) });
  });

  it('the changes, applied in turn to the files the state started from, give the files it holds', () => {
    const op = fc.tuple(fc.constantFrom('set', 'delete'), fc.constantFrom('a', 'b', 'c', '__proto__', 'd/e'), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 8 }), { maxLength: 5 }), (rounds) => {
        const state = new ManifestState({ a: entry(0), b: entry(1) });
        const peer = new Map<string, ManifestFile>([
          ['a', entry(0)],
          ['b', entry(1)],
        ]);
        for (const round of rounds) {
          for (const [kind, relPath, size] of round) {
            if (kind === 'set') state.set(relPath, entry(size));
            else state.delete(relPath);
          }
          const change = state.takeChanges();
          for (const relPath of change.deleted) assert.ok(peer.delete(relPath), `${relPath} deleted but not held`);
          for (const relPath of Object.keys(change.files)) {
            assert.notDeepEqual(peer.get(relPath), change.files[relPath], `${relPath} sent unchanged`);
            peer.set(relPath, change.files[relPath] as ManifestFile);
          }
          assert.deepEqual(new Map(Object.entries(state.toFiles())), peer);
        }
      }),
    );
  });

  it('serializes byte for byte as serializeManifest: escaped and unicode names, __proto__, odd numbers, entries that do not pack', () => {
    const odd: [string, ManifestFile][] = [
      ['a.txt', entry(0)],
      ['__proto__', entry(1, 1733356800123.456)],
      ['dir/"quoted"\\back\ttab', entry(2, -0)],
      ['été/ünïcode ✓ 𝄞', { size: 2 ** 45 + 1, mtimeMs: 1e21, sha256: sha(3), ctSha256: sha(4) }],
      ['control\u0001\u2028', entry(5, 0.1)],
      // not packed: upper-case digests, another key order, a key more; each kept as given, as before
      ['upper', { size: 6, mtimeMs: 6, sha256: sha(6).toUpperCase(), ctSha256: sha(7) }],
      ['order', { mtimeMs: 7, size: 7, sha256: sha(7), ctSha256: sha(8) } as ManifestFile],
      ['extra', { ...entry(8), note: 'kept' } as ManifestFile],
    ];
    const peer: Record<string, ManifestFile> = filesOf([['from-peer', entry(9)], ['replaced', entry(10)]]);
    const state = new ManifestState(peer);
    const expected = new Map(Object.entries(peer));
    for (const [relPath, value] of odd) {
      state.set(relPath, value);
      expected.set(relPath, value);
    }
    state.set('replaced', entry(11, 3));
    expected.set('replaced', entry(11, 3));
    assert.deepEqual(state.serialize(envelope), expectedJson(expected));
    assert.deepEqual(Buffer.concat([...state.serializedPieces(envelope)]), expectedJson(expected));
    for (const [relPath, value] of expected) assert.deepEqual(state.get(relPath), value, relPath);
    assert.equal(state.get('nothing'), undefined);
    assert.deepEqual(state.totals(), { fileCount: expected.size, bytes: [...expected.values()].reduce((sum, file) => sum + file.size, 0) });
  });

  it('compares an entry with a cached row without building it', () => {
    const state = new ManifestState({ peer: entry(1, 5) });
    state.set('sent', entry(2, 6));
    assert.equal(state.agrees('sent', 2, 6, sha(2)), true);
    assert.equal(state.agrees('peer', 1, 5, sha(1)), true);
    assert.equal(state.agrees('sent', 2, 7, sha(2)), false);
    assert.equal(state.agrees('sent', 3, 6, sha(2)), false);
    assert.equal(state.agrees('sent', 2, 6, sha(3)), false);
    assert.equal(state.agrees('sent', 2, 6, sha(2).toUpperCase()), false);
    assert.equal(state.agrees('missing', 2, 6, sha(2)), false);
  });

  it('keeps its JSON, entries and changes as a Map of the entries would, whatever is set, replaced and deleted', () => {
    const names = ['a', 'b', 'c', '__proto__', 'd/é', 'e"'];
    const value = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, -0, 1.5, 1e21)).map(([n, mtimeMs]) => entry(n, mtimeMs)),
      fc.integer({ min: 0, max: 3 }).map((n) => ({ ...entry(n), sha256: sha(n).toUpperCase() })),
    );
    const op = fc.tuple(fc.constantFrom('set', 'delete'), fc.constantFrom(...names), value);
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 10 }), { maxLength: 5 }), (rounds) => {
        const start = filesOf([['a', entry(0)], ['__proto__', entry(1)]]);
        const state = new ManifestState(start);
        const files = new Map(Object.entries(start));
        for (const round of rounds) {
          const before = new Map(files);
          for (const [kind, relPath, file] of round) {
            if (kind === 'set') {
              state.set(relPath, file);
              files.set(relPath, file);
            } else {
              state.delete(relPath);
              files.delete(relPath);
            }
          }
          const change = state.takeChanges();
          const expectedFiles = [...files].filter(([relPath, file]) => !before.has(relPath) || JSON.stringify(before.get(relPath)) !== JSON.stringify(file));
          assert.deepEqual(new Map(Object.entries(change.files)), new Map(expectedFiles));
          assert.deepEqual([...change.deleted].sort(), [...before.keys()].filter((relPath) => !files.has(relPath)).sort());
          assert.deepEqual(state.serialize(envelope), expectedJson(files));
        }
      }),
    );
  });
});
