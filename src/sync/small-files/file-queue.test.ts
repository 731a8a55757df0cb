import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedUpload } from '../../manifest/diff.js';
import { BATCH_BYTES } from '../batch-sender.js';
import { FileQueue, FIRST_BATCH_BYTES } from './file-queue.js';

const planned = (count: number, size: number): PlannedUpload[] =>
  Array.from({ length: count }, (_, index) => ({ relPath: `dir/file-${String(index).padStart(6, '0')}.bin`, size, mtimeMs: 0, sha256: '', reason: 'new' }));

/** Every group the queue makes, in order, until it is empty. */
function groupsOf(queue: FileQueue): { files: PlannedUpload[]; ramp: boolean }[] {
  const groups: { files: PlannedUpload[]; ramp: boolean }[] = [];
  for (let group = queue.nextGroup(); group.files.length > 0; group = queue.nextGroup()) groups.push(group);
  return groups;
}

const plainBytes = (group: PlannedUpload[]) => group.reduce((sum, file) => sum + file.size, 0);

describe('FileQueue', () => {
  it('groups every file once, in order: small first batches, marked, doubling to BATCH_BYTES', () => {
    // 20,000 files of 4 KiB: the bench's small set at scale 0.4
    const files = planned(20_000, 4096);
    const groups = groupsOf(new FileQueue([...files]));
    assert.deepEqual(groups.flatMap((group) => group.files), files);

    const sizes = groups.map((group) => plainBytes(group.files));
    // the peer gets its first files after ~30 are sealed, not ~1,000
    assert.ok((sizes[0] as number) <= FIRST_BATCH_BYTES, `first batch ${sizes[0]}`);
    for (let index = 1; index < 5; index += 1) assert.ok((sizes[index] as number) > (sizes[index - 1] as number) * 1.8, `batch ${index} about twice the one before: ${sizes.slice(0, 6).join(', ')}`);
    assert.ok(Math.max(...sizes) <= BATCH_BYTES, 'no batch past BATCH_BYTES');
    // the ramp's batches are marked (they take no place in flight), the full ones are not
    assert.deepEqual(groups.map((group) => group.ramp).slice(0, 7), [true, true, true, true, true, false, false]);
    assert.equal(groups.filter((group) => group.ramp).length, 5);
  });

  it('puts a file back first in the next group', () => {
    const files = planned(10, 4096);
    const queue = new FileQueue([...files]);
    const first = queue.nextGroup().files;
    assert.equal(first.length, 10);
    queue.later(first[9] as PlannedUpload);
    assert.deepEqual(queue.nextGroup().files, [files[9]]);
    assert.deepEqual(queue.nextGroup().files, []);
  });

  it('clears each file from the list it took as it groups it', () => {
    const list: (PlannedUpload | undefined)[] = planned(50, 100_000);
    const queue = new FileQueue(list);
    const group = queue.nextGroup().files;
    assert.ok(group.length > 0 && group.length < 50);
    assert.deepEqual(list.slice(0, group.length), new Array(group.length).fill(undefined));
    assert.ok(list[group.length] !== undefined);
  });
});
