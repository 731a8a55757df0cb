import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShareWrites } from './share-writes.js';

const alice = { source: 'server-a', user: 'alice', share: 'backup' };
const bob = { source: 'server-a', user: 'bob', share: 'backup' };

describe('writes while backups are being deleted', () => {
  it('holds a write to a share the deletion covers until the deletion ends, and lets others through', async () => {
    const writes = new ShareWrites();
    const events: string[] = [];
    let finishDeletion = () => undefined as void;
    const deletion = writes.deleting({ source: 'server-a', user: 'alice' }, async () => {
      events.push('deletion started');
      await new Promise<void>((resolve) => {
        finishDeletion = resolve;
      });
      events.push('deletion ended');
    });
    const aliceWrite = writes.during(alice, async () => {
      events.push('alice written');
    });
    await writes.during(bob, async () => {
      events.push('bob written');
    });
    assert.deepEqual(events, ['deletion started', 'bob written'], 'another user writes at once, alice waits');
    finishDeletion();
    await Promise.all([deletion, aliceWrite]);
    assert.deepEqual(events, ['deletion started', 'bob written', 'deletion ended', 'alice written']);
  });

  it('ends the hold when the deletion fails', async () => {
    const writes = new ShareWrites();
    await assert.rejects(
      writes.deleting({ source: 'server-a' }, async () => {
        throw new Error('disk gone');
      }),
      /disk gone/,
    );
    assert.equal(await writes.during(alice, async () => 'written'), 'written');
  });
});
