import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { heldPlanId, massDeletionGuard, planSync, startNextManifest, ransomwareTripwire, TRIPWIRE_MIN_FILES, type LocalFileState, type RemoteFiles } from './diff.js';
import type { ManifestFile } from './manifest.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');

function local(entries: Record<string, [size: number, mtimeMs: number, content: number]>): Map<string, LocalFileState> {
  return new Map(Object.entries(entries).map(([relPath, [size, mtimeMs, content]]) => [relPath, { size, mtimeMs, sha256: sha(content) }]));
}

/** Built with defineProperty, as parseManifest does, so `__proto__` is an own entry. */
function remote(entries: [relPath: string, size: number, mtimeMs: number, content: number][]): RemoteFiles {
  const files: RemoteFiles = {};
  for (const [relPath, size, mtimeMs, content] of entries) {
    Object.defineProperty(files, relPath, { value: { size, mtimeMs, sha256: sha(content), ctSha256: sha(content + 1_000_000) }, enumerable: true, writable: true, configurable: true });
  }
  return files;
}

describe('planSync', () => {
  it('sends everything on a first sync', () => {
    const plan = planSync(local({ 'b.txt': [2, 20, 2], 'a/c.txt': [1, 10, 1] }), null);
    assert.deepEqual(
      plan.upload.map((u) => [u.relPath, u.reason]),
      [
        ['a/c.txt', 'new'],
        ['b.txt', 'new'],
      ],
    );
    assert.deepEqual(plan.delete, []);
    assert.deepEqual(plan.unchanged, []);
  });

  it('sorts new, changed, unchanged and deleted files apart', () => {
    const plan = planSync(
      local({ same: [1, 10, 1], touched: [2, 99, 2], edited: [3, 30, 33], added: [4, 40, 4] }),
      remote([
        ['same', 1, 10, 1],
        ['touched', 2, 20, 2],
        ['edited', 3, 30, 3],
        ['gone', 5, 50, 5],
      ]),
    );
    assert.deepEqual(
      plan.upload.map((u) => [u.relPath, u.reason]),
      [
        ['added', 'new'],
        ['edited', 'changed'],
      ],
    );
    assert.deepEqual(plan.unchanged, ['same', 'touched']);
    assert.deepEqual(plan.unchangedWithNewMtime, ['touched']);
    assert.deepEqual(plan.delete, ['gone']);
    assert.deepEqual(plan.kept, []);
  });

  it('treats a size difference as a change even with the same SHA-256', () => {
    const plan = planSync(local({ f: [2, 10, 1] }), remote([['f', 1, 10, 1]]));
    assert.deepEqual(plan.upload.map((u) => u.reason), ['changed']);
  });

  it('copies the local state into each upload', () => {
    const plan = planSync(local({ f: [7, 70, 9] }), remote([['f', 1, 10, 1]]));
    assert.deepEqual(plan.upload, [{ relPath: 'f', size: 7, mtimeMs: 70, sha256: sha(9), reason: 'changed' }]);
  });

  it('never mistakes Object.prototype for a peer entry', () => {
    const names = ['constructor', 'toString', '__proto__'];
    const plan = planSync(new Map(names.map((relPath, i) => [relPath, { size: i, mtimeMs: i, sha256: sha(i) }])), remote([]));
    assert.deepEqual(plan.upload.map((u) => [u.relPath, u.reason]), [
      ['__proto__', 'new'],
      ['constructor', 'new'],
      ['toString', 'new'],
    ]);
  });

  it('handles a peer entry named __proto__', () => {
    const files = remote([['__proto__', 3, 30, 3]]);
    assert.deepEqual(planSync(local({ ['__proto__']: [3, 30, 3] }), files).unchanged, ['__proto__']);
    assert.deepEqual(planSync(new Map(), files).delete, ['__proto__']);
  });

  it('keeps, rather than deletes, what the source could not read', () => {
    const plan = planSync(
      local({ 'ok.txt': [1, 10, 1] }),
      remote([
        ['ok.txt', 1, 10, 1],
        ['busy.log', 1, 10, 2],
        ['locked/a', 1, 10, 3],
        ['locked/deep/b', 1, 10, 4],
        ['lockedness', 1, 10, 5],
        ['gone', 1, 10, 6],
      ]),
      { unread: ['busy.log', 'locked'] },
    );
    assert.deepEqual(plan.kept, ['busy.log', 'locked/a', 'locked/deep/b']);
    assert.deepEqual(plan.delete, ['gone', 'lockedness']);
  });
});

/** The next manifest's files once `arrived` reached the peer and `deleted` were deleted, as a run builds them. */
function nextManifestFiles(
  now: ReadonlyMap<string, LocalFileState>,
  before: RemoteFiles | null,
  plan: ReturnType<typeof planSync>,
  outcome: { arrived: ReadonlyMap<string, ManifestFile>; deleted: readonly string[] },
): RemoteFiles {
  const next = startNextManifest(now, before, plan);
  for (const [relPath, entry] of outcome.arrived) next.set(relPath, entry);
  for (const relPath of outcome.deleted) next.delete(relPath);
  return next.toFiles();
}

describe('startNextManifest', () => {
  it('describes what the peer holds after the sync', () => {
    const now = local({ same: [1, 10, 1], touched: [2, 99, 2], edited: [3, 30, 33], added: [4, 40, 4] });
    const before = remote([
      ['same', 1, 10, 1],
      ['touched', 2, 20, 2],
      ['edited', 3, 30, 3],
      ['gone', 5, 50, 5],
    ]);
    const plan = planSync(now, before);
    const added: ManifestFile = { size: 4, mtimeMs: 40, sha256: sha(4), ctSha256: sha(44) };
    // 'edited' failed to upload: the peer still holds the old version
    const files = nextManifestFiles(now, before, plan, { arrived: new Map([['added', added]]), deleted: plan.delete });
    assert.deepEqual(Object.keys(files).sort(), ['added', 'edited', 'same', 'touched']);
    assert.deepEqual(files.touched, { ...before.touched, mtimeMs: 99 });
    assert.deepEqual(files.edited, before.edited);
    assert.deepEqual(files.same, before.same);
    assert.deepEqual(files.added, added);
  });

  it('keeps a file named __proto__ as an entry', () => {
    const now = local({ ['__proto__']: [3, 30, 3] });
    const entry: ManifestFile = { size: 3, mtimeMs: 30, sha256: sha(3), ctSha256: sha(4) };
    const files = nextManifestFiles(now, null, planSync(now, null), { arrived: new Map([['__proto__', entry]]), deleted: [] });
    assert.equal(JSON.stringify(files), JSON.stringify({ ['__proto__']: entry }));
    assert.ok(Object.hasOwn(files, '__proto__'));
  });
});

describe('massDeletionGuard', () => {
  const plan = (deletions: number) => ({ delete: Array.from({ length: deletions }, (_, i) => `f${i}`) });

  it('allows exactly half, stops at more than half', () => {
    assert.equal(massDeletionGuard(plan(5), 10, 5, { shareMissing: false }), null);
    assert.equal(massDeletionGuard(plan(6), 10, 4, { shareMissing: false })?.reason, 'too-many-deletions');
    assert.equal(massDeletionGuard(plan(2), 5, 3, { shareMissing: false }), null);
    assert.equal(massDeletionGuard(plan(3), 5, 2, { shareMissing: false })?.reason, 'too-many-deletions');
    assert.equal(massDeletionGuard(plan(1), 1, 1, { shareMissing: false })?.reason, 'too-many-deletions');
  });

  it('stops when the share is empty or missing while the peer holds files', () => {
    const empty = massDeletionGuard(plan(3), 3, 0, { shareMissing: false });
    assert.equal(empty?.reason, 'share-empty');
    assert.match(empty?.message ?? '', /empty while the peer holds 3 files/);
    assert.equal(massDeletionGuard(plan(3), 3, 0, { shareMissing: true })?.reason, 'share-missing');
    // an empty share stops even when nothing would be deleted (everything kept as unreadable)
    assert.equal(massDeletionGuard(plan(0), 3, 0, { shareMissing: false })?.reason, 'share-empty');
  });

  it('lets an empty source sync to an empty peer, and a first sync of anything', () => {
    assert.equal(massDeletionGuard(plan(0), 0, 0, { shareMissing: false }), null);
    assert.equal(massDeletionGuard(plan(0), 0, 0, { shareMissing: true }), null);
    assert.equal(massDeletionGuard(plan(0), 0, 50, { shareMissing: false }), null);
  });

  it('binds a confirmation to the reason and the exact deletions, in any order', () => {
    const id = heldPlanId('too-many-deletions', ['a', 'b/c']);
    assert.equal(heldPlanId('too-many-deletions', ['b/c', 'a']), id);
    assert.notEqual(heldPlanId('too-many-deletions', ['a', 'b/c', 'd']), id);
    assert.notEqual(heldPlanId('too-many-deletions', ['a']), id);
    assert.notEqual(heldPlanId('share-empty', ['a', 'b/c']), id);
    // a name holding the separator of a naive join is still another plan
    assert.notEqual(heldPlanId('too-many-deletions', ['a,b/c']), id);
  });

  it('says what to do', () => {
    const stop = massDeletionGuard(plan(7), 10, 3, { shareMissing: false });
    assert.match(stop?.message ?? '', /delete 7 of the 10 files/);
    assert.match(stop?.hint ?? '', /administrator can confirm/);
  });

  it('stops exactly when more than half would go (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.nat(), fc.integer({ min: 1, max: 1000 }), (held, rawDeletions, localCount) => {
        const deletions = rawDeletions % (held + 1);
        const stop = massDeletionGuard(plan(deletions), held, localCount, { shareMissing: false });
        assert.equal(stop !== null, deletions * 2 > held);
      }),
    );
  });
});

// Paths from a small pool, so local and remote overlap often; includes names
// that a careless `remote[relPath]` would find on Object.prototype.
const pathPool = ['a', 'b', 'c/d', 'c/e', 'c/f/g', 'é', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x y'];
const stateArb = fc.record({ size: fc.nat({ max: 3 }), mtimeMs: fc.nat({ max: 3 }), content: fc.nat({ max: 3 }) });
const localArb = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...pathPool), stateArb), { selector: ([relPath]) => relPath })
  .map((entries) => new Map(entries.map(([relPath, s]) => [relPath, { size: s.size, mtimeMs: s.mtimeMs, sha256: sha(s.content) }])));
const remoteArb = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...pathPool), stateArb), { selector: ([relPath]) => relPath })
  .map((entries) => remote(entries.map(([relPath, s]) => [relPath, s.size, s.mtimeMs, s.content])));
const unreadArb = fc.uniqueArray(fc.constantFrom('a', 'c', 'c/f', 'toString'), { maxLength: 2 });

describe('planSync (properties)', () => {
  it('applied to the peer, yields exactly the source', () => {
    fc.assert(
      fc.property(localArb, fc.option(remoteArb, { nil: null }), (now, before) => {
        const plan = planSync(now, before);
        const after = new Map<string, { size: number; sha256: string }>();
        for (const relPath of Object.keys(before ?? {})) after.set(relPath, (before as RemoteFiles)[relPath] as ManifestFile);
        for (const relPath of plan.delete) after.delete(relPath);
        for (const upload of plan.upload) after.set(upload.relPath, upload);
        assert.deepEqual([...after.keys()].sort(), [...now.keys()].sort());
        for (const [relPath, file] of now) {
          assert.equal(after.get(relPath)?.sha256, file.sha256);
          assert.equal(after.get(relPath)?.size, file.size);
        }
      }),
    );
  });

  it('never uploads an unchanged file, and covers every local file once', () => {
    fc.assert(
      fc.property(localArb, remoteArb, (now, before) => {
        const plan = planSync(now, before);
        const uploaded = plan.upload.map((u) => u.relPath);
        assert.deepEqual([...uploaded, ...plan.unchanged].sort(), [...now.keys()].sort());
        for (const relPath of plan.unchanged) {
          const stored = before[relPath] as ManifestFile;
          assert.ok(Object.hasOwn(before, relPath));
          assert.equal(stored.sha256, now.get(relPath)?.sha256);
          assert.equal(stored.size, now.get(relPath)?.size);
        }
        for (const upload of plan.upload) {
          assert.equal(upload.reason, Object.hasOwn(before, upload.relPath) ? 'changed' : 'new');
        }
        for (const relPath of plan.unchangedWithNewMtime) assert.ok(plan.unchanged.includes(relPath));
      }),
    );
  });

  it('deletes exactly what the peer holds and the source does not', () => {
    fc.assert(
      fc.property(localArb, remoteArb, (now, before) => {
        const plan = planSync(now, before);
        const expected = Object.keys(before).filter((relPath) => !now.has(relPath));
        assert.deepEqual([...plan.delete].sort(), expected.sort());
        assert.deepEqual(plan.kept, []);
      }),
    );
  });

  it('splits what the source lacks into kept (under unread paths) and deleted', () => {
    fc.assert(
      fc.property(localArb, remoteArb, unreadArb, (now, before, unread) => {
        const plan = planSync(now, before, { unread });
        const missing = Object.keys(before).filter((relPath) => !now.has(relPath));
        assert.deepEqual([...plan.delete, ...plan.kept].sort(), missing.sort());
        const under = (relPath: string) => unread.some((root) => relPath === root || relPath.startsWith(`${root}/`));
        for (const relPath of plan.kept) assert.ok(under(relPath));
        for (const relPath of plan.delete) assert.ok(!under(relPath));
      }),
    );
  });

  it('lists everything sorted, whatever the input order', () => {
    fc.assert(
      fc.property(localArb, remoteArb, (now, before) => {
        const plan = planSync(now, before);
        const reversed = planSync(new Map([...now].reverse()), before);
        assert.deepEqual(reversed, plan);
        for (const list of [plan.upload.map((u) => u.relPath), plan.delete, plan.unchanged]) {
          assert.deepEqual(list, [...list].sort());
        }
      }),
    );
  });

  it('with every upload arrived and every deletion done, the next manifest is the source', () => {
    fc.assert(
      fc.property(localArb, fc.option(remoteArb, { nil: null }), (now, before) => {
        const plan = planSync(now, before);
        const arrived = new Map(plan.upload.map((u) => [u.relPath, { size: u.size, mtimeMs: u.mtimeMs, sha256: u.sha256, ctSha256: sha(7) }]));
        const files = nextManifestFiles(now, before, plan, { arrived, deleted: plan.delete });
        assert.deepEqual(Object.keys(files).sort(), [...now.keys()].sort());
        for (const [relPath, file] of now) {
          const entry = files[relPath] as ManifestFile;
          assert.deepEqual({ size: entry.size, mtimeMs: entry.mtimeMs, sha256: entry.sha256 }, file);
        }
        for (const relPath of plan.unchanged) assert.equal(files[relPath]?.ctSha256, before?.[relPath]?.ctSha256);
      }),
    );
  });
});

describe('ransomwareTripwire', () => {
  /** A peer holding `count` files f0.docx…, and the source as `edit` leaves them. */
  function planAfter(count: number, edit: (relPath: string, index: number) => [relPath: string, content: number]) {
    const before = remote(Array.from({ length: count }, (_, index) => [`f${index}.docx`, 10, 1, index] as [string, number, number, number]));
    const now = new Map(Object.keys(before).map((relPath, index) => {
      const [name, content] = edit(relPath, index);
      return [name, { size: 10, mtimeMs: 1, sha256: sha(content) }];
    }));
    return planSync(now, before);
  }

  it('holds more than half of the files changed in place, and allows exactly half', () => {
    const stop = ransomwareTripwire(planAfter(20, (relPath, index) => [relPath, index < 11 ? index + 100 : index]), 20, 'alice/backup');
    assert.equal(stop?.changed.length, 11);
    assert.match(stop?.message ?? '', /^11 of the 20 files of alice\/backup would be rewritten at once \(11 changed in place\)/);
    assert.equal(ransomwareTripwire(planAfter(20, (relPath, index) => [relPath, index < 10 ? index + 100 : index]), 20, 'alice/backup'), null);
  });

  it('counts renames to an added or changed extension as rewrites', () => {
    const added = ransomwareTripwire(planAfter(20, (relPath, index) => [index < 12 ? `${relPath}.locked` : relPath, index + 100]), 20, 'alice/backup');
    assert.equal(added?.renamed.length, 12);
    // the 8 left in place were changed too
    assert.equal(added?.changed.length, 8);
    const changedExtension = ransomwareTripwire(planAfter(20, (relPath, index) => [index < 11 ? relPath.replace('.docx', '.crypt') : relPath, index]), 20, 'alice/backup');
    assert.equal(changedExtension?.renamed.length, 11);
    assert.match(changedExtension?.message ?? '', /11 renamed to another extension/);
  });

  it('does not count renames to other names, nor new files beside the old ones', () => {
    assert.equal(ransomwareTripwire(planAfter(20, (relPath, index) => [index < 15 ? `moved/${relPath}` : relPath, index]), 20, 'alice/backup'), null);
    // copies beside the originals: nothing rewritten
    const copies = planAfter(20, (relPath, index) => [relPath, index]);
    copies.upload.push(...Array.from({ length: 20 }, (_, index) => ({ relPath: `f${index}.docx.bak`, size: 10, mtimeMs: 1, sha256: sha(index), reason: 'new' as const })));
    assert.equal(ransomwareTripwire(copies, 20, 'alice/backup'), null);
  });

  it('never holds a peer with fewer files than the minimum', () => {
    const few = TRIPWIRE_MIN_FILES - 1;
    assert.equal(ransomwareTripwire(planAfter(few, (relPath, index) => [relPath, index + 100]), few, 'alice/backup'), null);
    assert.notEqual(ransomwareTripwire(planAfter(TRIPWIRE_MIN_FILES, (relPath, index) => [relPath, index + 100]), TRIPWIRE_MIN_FILES, 'alice/backup'), null);
  });

  it('binds its plan id to the rewritten paths as well as the deletions', () => {
    const id = heldPlanId('mass-rewrite', ['a'], ['b', 'c']);
    assert.equal(heldPlanId('mass-rewrite', ['a'], ['c', 'b']), id);
    assert.notEqual(heldPlanId('mass-rewrite', ['a'], ['b', 'c', 'd']), id);
    // a plan of the mass-deletion guard keeps the id it had before the tripwire existed
    assert.equal(heldPlanId('too-many-deletions', ['a']), createHash('sha256').update(JSON.stringify(['too-many-deletions', ['a']])).digest('hex'));
  });
});
