import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { AnemoneError } from '../errors/catalogue.js';
import { RestoreJobRegistry, type NewJob } from './job-registry.js';
import { newPart, recordError } from './restore-job.js';

const logger = pino({ level: 'silent' });

function fields(...shares: [string, string][]): NewJob {
  return { kind: 'bulk', ownerId: 1, peerId: 2, peerName: 'server-b', target: 'original', targetShare: '', targetFolder: null, parts: shares.map(([user, share]) => newPart(user, share)) };
}

describe('restore jobs', () => {
  it('refuses a second job into a share being restored, and allows it once the first ended', async () => {
    const registry = new RestoreJobRegistry(logger, () => new Date());
    let finish = () => {};
    const first = registry.start(fields(['alice', 'backup'], ['bob', 'backup']), () => new Promise<void>((resolve) => (finish = resolve)));
    assert.throws(
      () => registry.start(fields(['bob', 'backup']), async () => {}),
      (error: unknown) => error instanceof AnemoneError && error.code === 'RESTORE_ALREADY_RUNNING' && /bob\/backup/.test(error.message),
    );
    assert.equal(registry.isRestoring('alice', 'backup'), true, 'a sync of alice/backup is held off meanwhile');
    const other = registry.start(fields(['carol', 'backup']), async () => {});
    await registry.settled(other.id);
    finish();
    await registry.settled(first.id);
    assert.equal(first.status, 'success');
    assert.equal(registry.isRestoring('alice', 'backup'), false);
    const again = registry.start(fields(['bob', 'backup']), async () => {});
    await registry.settled(again.id);
    assert.equal(registry.list()[0]?.id, again.id, 'newest first');
  });

  it('ends partial when some files failed, failure when none restored or the job failed', async () => {
    const registry = new RestoreJobRegistry(logger, () => new Date());
    const partial = registry.start(fields(['alice', 'backup']), async (job) => {
      const part = job.parts[0] as ReturnType<typeof newPart>;
      part.filesDone = 3;
      recordError(part, { path: 'x', code: 'RESTORE_VERIFY_FAILED', message: 'altered' });
    });
    const failed = registry.start(fields(['bob', 'backup']), async () => {
      throw new AnemoneError('RESTORE_PEER_FAILED');
    });
    await Promise.all([registry.settled(partial.id), registry.settled(failed.id)]);
    assert.equal(partial.status, 'partial');
    assert.equal(failed.status, 'failure');
    assert.equal(failed.error?.code, 'RESTORE_PEER_FAILED');
    assert.ok(failed.finishedAt);
  });
});

describe('restore jobs and syncs of the same share', () => {
  it('does not start while a sync of the share runs, and says which', () => {
    const registry = new RestoreJobRegistry(logger, () => new Date(), (user, share) => user === 'alice' && share === 'backup');
    assert.throws(
      () => registry.start(fields(['alice', 'backup']), async () => {}),
      (error: unknown) => error instanceof AnemoneError && error.code === 'SYNC_ALREADY_RUNNING' && /alice\/backup/.test(error.message),
    );
    assert.equal(registry.isRestoring('alice', 'backup'), false);
  });

  it('counts a restore into a folder of data against data, not backup: the backup syncs meanwhile', async () => {
    const registry = new RestoreJobRegistry(logger, () => new Date(), (user, share) => user === 'alice' && share === 'backup');
    let finish = () => {};
    const intoData = { ...fields(), kind: 'user' as const, target: 'folder' as const, targetShare: 'data', targetFolder: 'restored-2026-12-04', parts: [newPart('alice', 'backup', 'data')] };
    const job = registry.start(intoData, () => new Promise<void>((resolve) => (finish = resolve)));
    assert.equal(registry.isRestoring('alice', 'data'), true);
    assert.equal(registry.isRestoring('alice', 'backup'), false);
    finish();
    await registry.settled(job.id);
  });
});
