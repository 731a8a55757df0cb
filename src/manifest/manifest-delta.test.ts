import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatError } from '../crypto/index.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { applyJournal, ManifestChainError, shouldFold, type ManifestDelta } from './manifest-delta.js';
import { sameEntry } from './manifest-state.js';
import { openSealedDelta, openSealedManifest, sealManifest, sealManifestDelta } from './sealed-manifest.js';

/** The changed and deleted entries between two states of the files (the sync keeps them as it goes: manifest-state.ts). */
function diffManifestFiles(before: Readonly<Record<string, ManifestFile>>, after: Readonly<Record<string, ManifestFile>>): Pick<ManifestDelta, 'files' | 'deleted'> {
  const files: Record<string, ManifestFile> = Object.create(null) as Record<string, ManifestFile>;
  for (const relPath of Object.keys(after)) {
    const next = after[relPath] as ManifestFile;
    const previous = Object.hasOwn(before, relPath) ? before[relPath] : undefined;
    if (!previous || !sameEntry(previous, next)) files[relPath] = next;
  }
  const deleted = Object.keys(before).filter((relPath) => !Object.hasOwn(after, relPath));
  return { files, deleted };
}

const names = { sourceServer: 'home', user: 'alice', share: 'backup' };
const entry = (n: number): ManifestFile => ({ size: n, mtimeMs: n, sha256: String(n).padStart(64, '0'), ctSha256: String(n).padStart(64, '1') });
const base: Manifest = { version: 1, ...names, generation: 5, createdAt: '2026-12-01T00:00:00.000Z', files: { a: entry(1), b: entry(2), c: entry(3) } };

function deltaOf(before: Manifest['files'], after: Manifest['files'], baseGeneration: number, generation: number): ManifestDelta {
  return { version: 1, kind: 'delta', ...names, baseGeneration, generation, createdAt: '2026-12-02T00:00:00.000Z', ...diffManifestFiles(before, after) };
}

describe('manifest deltas and the journal', () => {
  it('carries only what changed, and base + journal gives back the latest state', () => {
    const second = { a: entry(1), b: entry(20), d: entry(4) };
    const third: Manifest['files'] = { a: entry(1), d: entry(4) };
    Object.defineProperty(third, '__proto__', { value: entry(5), enumerable: true, writable: true, configurable: true });
    const first = deltaOf(base.files, second, 5, 6);
    assert.deepEqual(Object.keys(first.files).sort(), ['b', 'd']);
    assert.deepEqual(first.deleted, ['c']);
    const latest = applyJournal(base, [deltaOf(second, third, 6, 7), first]);
    assert.equal(latest.generation, 7);
    assert.deepEqual(Object.keys(latest.files).sort(), ['__proto__', 'a', 'd']);
    assert.equal(Object.getPrototypeOf(latest.files), Object.prototype, 'a file named __proto__ stays a file');
  });

  it('refuses a gap in the chain, naming the delta, and ignores deltas a full manifest replaced', () => {
    const later = deltaOf(base.files, { a: entry(1) }, 6, 7);
    assert.throws(() => applyJournal(base, [later]), (error: unknown) => error instanceof ManifestChainError && /generation 7 follows generation 6.*lead to generation 5/.test(error.message));
    const replaced = deltaOf({}, { z: entry(9) }, 3, 4);
    assert.deepEqual(applyJournal(base, [replaced]), base);
  });

  it('seals a delta under its own label: it never opens as a manifest, nor under another generation', () => {
    const delta = deltaOf(base.files, { a: entry(1) }, 5, 6);
    const key = Buffer.alloc(32, 7);
    const sealed = sealManifestDelta(key, delta);
    assert.deepEqual(openSealedDelta(key, names, { generation: 6, bytes: sealed.bytes }).deleted, ['b', 'c']);
    assert.throws(() => openSealedManifest(key, names, sealed.bytes), FormatError);
    assert.throws(() => openSealedDelta(key, names, { generation: 7, bytes: sealed.bytes }), ManifestChainError);
    assert.throws(() => openSealedDelta(key, names, { generation: 5, bytes: sealManifest(key, base).bytes }), FormatError);
  });

  it('folds after 32 deltas, or when the journal would outweigh a quarter of the manifest', () => {
    assert.equal(shouldFold({ count: 31, bytes: 0 }, 1000, 10), false);
    assert.equal(shouldFold({ count: 32, bytes: 0 }, 1000, 10), true);
    assert.equal(shouldFold({ count: 3, bytes: 200 }, 1000, 50), false);
    assert.equal(shouldFold({ count: 3, bytes: 200 }, 1000, 51), true);
  });
});
