import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ManifestState } from './manifest-state.js';
import { parseManifest, serializeManifest, type Manifest, type ManifestFile } from './manifest.js';

const sha = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const entry = (size: number, mtimeMs = 1, content = size): ManifestFile => ({ size, mtimeMs, sha256: sha(content), ctSha256: sha(content + 1000) });
const envelope = { version: 1 as const, sourceServer: 'home', user: 'alice', share: 'backup', generation: 7, createdAt: '2026-12-05T00:00:00.000Z' };

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
});
