import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encryptedLength } from '../crypto/index.js';
import type { LocalFileState, RemoteFiles } from '../manifest/diff.js';
import { storedNameFor } from '../manifest/stored-names.js';
import { planShareSync, SMALL_FILE_MAX_BYTES } from './plan-share.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');
const file = (size: number, mtimeMs: number, content: number): LocalFileState => ({ size, mtimeMs, sha256: sha(content) });
const entry = (size: number, mtimeMs: number, content: number) => ({ ...file(size, mtimeMs, content), ctSha256: sha(content + 1000) });

function remoteOf(count: number): RemoteFiles {
  const files = Object.create(null) as RemoteFiles;
  for (let index = 0; index < count; index += 1) files[`f${index}`] = entry(10, 1, index);
  return files;
}

describe('planShareSync', () => {
  it('splits the uploads into small files for batches and large ones to stream', () => {
    const local = new Map([
      ['small', file(SMALL_FILE_MAX_BYTES, 1, 1)],
      ['large', file(SMALL_FILE_MAX_BYTES + 1, 1, 2)],
    ]);
    const plan = planShareSync({ local, remote: null, shareLabel: 'alice/backup', unread: [], shareMissing: false });
    assert.deepEqual(plan.uploads.small.map((upload) => upload.relPath), ['small']);
    assert.deepEqual(plan.uploads.large.map((upload) => upload.relPath), ['large']);
    assert.equal(plan.uploads.files, 2);
    assert.equal(plan.uploads.bytes, 2 * SMALL_FILE_MAX_BYTES + 1);
    assert.equal(plan.held, null);
  });

  it('changes nothing only when nothing is sent, deleted or re-dated, and the peer holds a manifest', () => {
    const remote = remoteOf(2);
    const plan = (local: Map<string, LocalFileState>, peer: RemoteFiles | null = remote) => planShareSync({ local, remote: peer, shareLabel: 'alice/backup', unread: [], shareMissing: false });
    assert.equal(plan(new Map([['f0', file(10, 1, 0)], ['f1', file(10, 1, 1)]])).changesNothing, true);
    assert.equal(plan(new Map([['f0', file(10, 1, 0)], ['f1', file(10, 2, 1)]])).changesNothing, false, 'a new mtime');
    assert.equal(plan(new Map([['f0', file(10, 1, 0)], ['f1', file(10, 1, 7)]])).changesNothing, false, 'changed content');
    assert.equal(plan(new Map([['f0', file(10, 1, 0)]])).changesNothing, false, 'a deletion');
    assert.equal(plan(new Map([['f0', file(10, 1, 0)], ['f1', file(10, 1, 1)], ['f1/now-a-folder', file(1, 1, 3)]])).changesNothing, false, 'a new file');
    assert.equal(plan(new Map(), null).changesNothing, false, 'the peer holds no manifest yet');
  });

  it('bases the next manifest on what the peer holds, with unchanged files at their new mtime, and deletions at the end only', () => {
    const remote = remoteOf(3);
    const local = new Map([
      ['f0', file(10, 1, 0)],
      ['f1', file(10, 99, 1)],
    ]);
    const plan = planShareSync({ local, remote, shareLabel: 'alice/backup', unread: [], shareMissing: false });
    assert.deepEqual(plan.deletions, ['f2']);
    const next = plan.startNextManifest();
    const base = next.toFiles();
    assert.deepEqual(Object.keys(base).sort(), ['f0', 'f1', 'f2']);
    assert.equal(base.f1?.mtimeMs, 99);
    // the new mtime is the first change the next delta carries
    assert.deepEqual(next.takeChanges(), { files: Object.assign(Object.create(null), { f1: base.f1 }), deleted: [] });
    for (const relPath of plan.deletions) next.delete(relPath);
    assert.deepEqual(Object.keys(next.toFiles()).sort(), ['f0', 'f1']);
  });

  it('holds a plan that deletes more than half of what the peer holds, until that exact plan is confirmed', () => {
    const remote = remoteOf(10);
    const local = new Map([['f0', file(10, 1, 0)]]);
    const plan = planShareSync({ local, remote, shareLabel: 'alice/backup', unread: [], shareMissing: false });
    assert.equal(plan.held?.code, 'MASS_DELETION_GUARD');
    assert.equal(plan.held?.reason, 'too-many-deletions');
    assert.equal(plan.held?.confirmed, false);
    const confirmed = planShareSync({ local, remote, shareLabel: 'alice/backup', unread: [], shareMissing: false, confirmedPlan: plan.held?.planId });
    assert.equal(confirmed.held?.confirmed, true);
    // one more deletion is another plan
    const other = planShareSync({ local: new Map([['f1', file(10, 1, 1)]]), remote, shareLabel: 'alice/backup', unread: [], shareMissing: false, confirmedPlan: plan.held?.planId });
    assert.equal(other.held?.confirmed, false);
  });

  it('Force Sync sends again an unchanged file the peer no longer stores at its size', () => {
    const remote = remoteOf(2);
    const local = new Map([
      ['f0', file(10, 5, 0)],
      ['f1', file(10, 1, 1)],
    ]);
    const storedOnPeer = new Map([[storedNameFor('f1'), encryptedLength(10)]]);
    const plan = planShareSync({ local, remote, shareLabel: 'alice/backup', unread: [], shareMissing: false, storedOnPeer });
    assert.deepEqual(plan.uploads.small.map((upload) => [upload.relPath, upload.reason, upload.mtimeMs]), [['f0', 'changed', 5]]);
    assert.deepEqual(plan.diff.unchanged, ['f1']);
  });

  it('names a mass rename the ransomware tripwire rather than too many deletions, and binds the confirmation to it', () => {
    const remote = remoteOf(20);
    const local = new Map(Object.keys(remote).map((relPath, index) => [index < 12 ? `${relPath}.locked` : relPath, file(10, 1, index < 12 ? index + 100 : index)]));
    const input = { shareLabel: 'alice/backup', local, remote, unread: [], shareMissing: false };
    const plan = planShareSync(input);
    assert.equal(plan.held?.code, 'RANSOMWARE_TRIPWIRE');
    assert.match(plan.held?.message ?? '', /^12 of the 20 files of alice\/backup would be rewritten at once/);
    assert.equal(planShareSync({ ...input, confirmedPlan: plan.held?.planId }).held?.confirmed, true);
    // one file more encrypted since is another plan
    const more = new Map(local).set('f19', file(10, 1, 999));
    assert.equal(planShareSync({ ...input, local: more, confirmedPlan: plan.held?.planId }).held?.confirmed, false);
    // an emptied share stays the mass-deletion guard's case
    assert.equal(planShareSync({ ...input, local: new Map() }).held?.code, 'MASS_DELETION_GUARD');
  });
});
