import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { MasterKeyStore } from '../accounts/master-key.js';
import { issueUserKey } from '../accounts/user-keys.js';
import { AnemoneError } from '../errors/catalogue.js';
import { createRepositories, openDatabase, type Database, type Repositories } from '../db/index.js';
import type { SyncService } from './sync-service.js';
import { testSyncService } from '../../test/helpers/sync-service.js';
import type { PeerConnector, PeerSession } from './types.js';

/** A peer that answers nothing: every call waits forever. */
const silent = new Promise<never>(() => undefined);

function hangingSession(): PeerSession {
  return {
    fetchManifest: async () => ({ kind: 'missing', journals: true }),
    putManifest: () => silent,
    putManifestDelta: () => silent,
    putFile: () => silent,
    putBatch: () => silent,
    putBatchBody: () => silent,
    listFiles: async () => [],
    deleteFiles: async () => undefined,
    close: async () => undefined,
  };
}

describe('SyncService with a peer that stops answering', () => {
  let dir: string;
  let db: Database;
  let repos: Repositories;
  let shareId: number;
  let service: (connector: PeerConnector, holdOff?: (username: string, shareName: string) => void) => SyncService;
  const peer = { id: 1, name: 'slow-peer', timeoutMinutes: 0.003, fingerprint: 'AB:CD' }; // about 200 ms of silence

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-sync-service-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
    repos = createRepositories(db);
    const masterKeys = new MasterKeyStore(path.join(dir, 'secrets'));
    const masterKey = await masterKeys.create();
    const { wrappedKey, keyCheck } = issueUserKey(masterKey, 'alice');
    const now = new Date().toISOString();
    const userId = repos.users.insertActive({ username: 'alice', isAdmin: false, passwordHash: 'x', wrappedKey, keyCheck, createdAt: now });
    shareId = repos.shares.insert({ userId, name: 'backup', syncEnabled: true, createdAt: now });
    // the row a finished run records its manifest generation against
    const peerId = repos.peers.insert({ name: peer.name, address: '127.0.0.1', port: 8443, enabled: true, timeoutMinutes: 1, fingerprint: null, uploadLimitKiBps: null, uploadWindows: [], createdAt: now });
    assert.equal(peerId, peer.id);
    const shareRoot = path.join(dir, 'shares', 'alice', 'backup');
    mkdirSync(shareRoot, { recursive: true });
    writeFileSync(path.join(shareRoot, 'a.txt'), 'hello');
    service = (connector, holdOff) =>
      testSyncService(dir, { ...(holdOff ? { holdOff } : {}), repos, masterKeys, peers: connector });
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const connector = (connect: PeerConnector['connect'], withPeer: typeof peer = peer): PeerConnector => ({
    enabledPeers: () => [withPeer],
    findPeer: () => withPeer,
    connect,
  });

  it('ends a sync stuck while connecting after the peer timeout, as a failure with a hint', async () => {
    const sync = service(connector(() => silent));
    const { started } = sync.syncShare(shareId);
    await started[0]?.done;
    const log = repos.syncLogs.findById(started[0]?.logId ?? 0);
    assert.equal(log?.status, 'failure');
    assert.equal(log?.errorCode, 'SYNC_TIMEOUT');
    assert.ok(log?.hint);
    assert.equal(sync.runningSyncs().length, 0, 'the run is no longer listed as running');
  });

  it('ends a sync stuck in the middle of an upload the same way', async () => {
    const sync = service(connector(async () => hangingSession()));
    const { started } = sync.syncShare(shareId);
    await started[0]?.done;
    assert.equal(repos.syncLogs.findById(started[0]?.logId ?? 0)?.errorCode, 'SYNC_TIMEOUT');
  });

  it('lets an upload that lasts longer than the timeout go on while its bytes keep moving, and shows them', async () => {
    const bytesSeen: number[] = [];
    const slowLink: PeerSession = {
      ...hangingSession(),
      putManifest: async () => ({ bytes: 0 }),
      putManifestDelta: async () => undefined,
      // five pieces, 250 ms apart: twice the timeout in all, each gap well inside it (a loaded machine stays green)
      putBatchBody: async (_user, _share, _body, onSent) => {
        for (let piece = 1; piece <= 5; piece++) {
          await delay(250);
          onSent?.(piece * 20, 100);
          bytesSeen.push(sync.runningSyncs()[0]?.bytesDone ?? -1);
        }
      },
    };
    // about 600 ms of silence allowed
    const sync = service(connector(async () => slowLink, { ...peer, timeoutMinutes: 0.01 }));
    const { started } = sync.syncShare(shareId, { force: true });
    await started[0]?.done;
    const log = repos.syncLogs.findById(started[0]?.logId ?? 0);
    assert.equal(log?.status, 'success', `${log?.errorCode}: ${log?.error}`);
    // the share's one file is 5 bytes: the batch's progress is counted in them
    assert.deepEqual(bytesSeen, [1, 2, 3, 4, 5]);
  });

  it('refuses a second run for the same share and peer while one is running', async () => {
    const sync = service(connector(() => silent));
    const first = sync.syncShare(shareId);
    const second = sync.syncShare(shareId);
    assert.equal(second.started.length, 0);
    assert.equal(second.refused[0]?.code, 'SYNC_ALREADY_RUNNING');
    await first.started[0]?.done;
  });

  it('does not sync a share the composition root holds off (a restore writing into it)', async () => {
    const sync = service(connector(async () => hangingSession()), () => {
      throw new AnemoneError('RESTORE_IN_PROGRESS');
    });
    const { started } = sync.syncShare(shareId);
    await started[0]?.done;
    assert.equal(repos.syncLogs.findById(started[0]?.logId ?? 0)?.errorCode, 'RESTORE_IN_PROGRESS');
  });

  it('marks runs left running by a dead process as interrupted', () => {
    const logId = repos.syncLogs.insertRunning({
      userId: 1,
      username: 'alice',
      shareId,
      shareName: 'backup',
      peerId: 1,
      peerName: 'slow-peer',
      startedAt: new Date().toISOString(),
    });
    assert.equal(service(connector(() => silent)).cleanUpInterruptedRuns(), 1);
    assert.equal(repos.syncLogs.findById(logId)?.status, 'interrupted');
  });
});
