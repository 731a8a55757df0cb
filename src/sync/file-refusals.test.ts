import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MasterKeyStore } from '../accounts/master-key.js';
import { issueUserKey } from '../accounts/user-keys.js';
import { createRepositories, openDatabase, type Database, type Repositories } from '../db/index.js';
import type { SyncService } from './sync-service.js';
import { itemsOfBatchBody } from '../../test/helpers/batch-body.js';
import { testSyncService } from '../../test/helpers/sync-service.js';
import type { BatchItem, PeerConnector, PeerSession } from './types.js';

/** What the peer client throws for a 400 PATH_INVALID. */
function pathRefused(storedPath: string): Error {
  return Object.assign(new Error(`The peer refused a file path: ${storedPath}`), { code: 'PATH_INVALID', hint: 'x' });
}

/** A peer that holds what it is sent, except paths containing "refused", which it answers with PATH_INVALID (the whole batch). */
function refusingSession(stored: Map<string, number>, batches: number[]): PeerSession {
  const putBatch = async (_user: string, _share: string, items: BatchItem[]) => {
    batches.push(items.length);
    const refused = items.find((item) => item.path.includes('refused'));
    if (refused) throw pathRefused(refused.path);
    for (const item of items) stored.set(item.path, item.body.length);
  };
  return {
    fetchManifest: async () => ({ kind: 'missing', journals: true }),
    putManifest: async () => ({ bytes: 0 }),
    putManifestDelta: async () => undefined,
    putFile: async (_user, _share, storedPath, body, size) => {
      for await (const _piece of body) {
        // read to the end, as a peer does before it checks the trailer
      }
      if (storedPath.includes('refused')) throw pathRefused(storedPath);
      stored.set(storedPath, size);
      return { ctSha256: '0'.repeat(64) };
    },
    putBatch,
    putBatchBody: async (user, share, body) => putBatch(user, share, itemsOfBatchBody(body)),
    listFiles: async () => [],
    deleteFiles: async () => undefined,
    close: async () => undefined,
  };
}

describe('a file the peer refuses', () => {
  let dir: string;
  let db: Database;
  let repos: Repositories;
  let shareId: number;
  let sync: (session: PeerSession) => SyncService;
  const peer = { id: 1, name: 'picky-peer', timeoutMinutes: 1, fingerprint: 'AB:CD' };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-file-refusals-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
    repos = createRepositories(db);
    const masterKeys = new MasterKeyStore(path.join(dir, 'secrets'));
    const { wrappedKey, keyCheck } = issueUserKey(await masterKeys.create(), 'alice');
    const now = new Date().toISOString();
    const userId = repos.users.insertActive({ username: 'alice', isAdmin: false, passwordHash: 'x', wrappedKey, keyCheck, createdAt: now });
    shareId = repos.shares.insert({ userId, name: 'backup', syncEnabled: true, createdAt: now });
    repos.peers.insert({ name: peer.name, address: '127.0.0.1', port: 8443, enabled: true, timeoutMinutes: 1, fingerprint: peer.fingerprint, uploadLimitKiBps: null, uploadWindows: [], createdAt: now });
    const shareRoot = path.join(dir, 'shares', 'alice', 'backup');
    mkdirSync(shareRoot, { recursive: true });
    for (const name of ['a.txt', 'b-refused.txt', 'c.txt']) writeFileSync(path.join(shareRoot, name), name);
    writeFileSync(path.join(shareRoot, 'big-refused.bin'), Buffer.alloc(2 * 1024 * 1024));
    const connector = (session: PeerSession): PeerConnector => ({ enabledPeers: () => [peer], findPeer: () => peer, connect: async () => session });
    sync = (session) =>
      testSyncService(dir, { repos, masterKeys, peers: connector(session) });
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is left out alone: its batch is sent again one file at a time, and the run lists it', async () => {
    const stored = new Map<string, number>();
    const batches: number[] = [];
    const { started } = sync(refusingSession(stored, batches)).syncShare(shareId);
    await started[0]?.done;
    const logId = started[0]?.logId ?? 0;
    const log = repos.syncLogs.findById(logId);
    assert.equal(log?.status, 'success', JSON.stringify(log));
    assert.deepEqual([...stored.keys()].sort(), ['a.txt.enc', 'c.txt.enc']);
    assert.deepEqual(batches, [3, 1, 1, 1]);
    assert.equal(log?.notBackedUp, 2);
    assert.match(log?.error ?? '', /^2 files not backed up/);
    assert.deepEqual(
      repos.syncLogs.notBackedUpFiles(logId).map((file) => file.relPath).sort(),
      ['b-refused.txt', 'big-refused.bin'],
    );
    assert.match(repos.syncLogs.notBackedUpFiles(logId)[0]?.reason ?? '', /refused by the peer/);
  });
});
