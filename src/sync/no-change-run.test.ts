import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { InMemoryPeer } from '../../test/helpers/in-memory-peer.js';
import { MasterKeyStore } from '../accounts/master-key.js';
import { issueUserKey, unwrapUserKey } from '../accounts/user-keys.js';
import { createRepositories, openDatabase, type Database, type Repositories } from '../db/index.js';
import { sealManifest } from '../manifest/sealed-manifest.js';
import { storedNameFor } from '../manifest/stored-names.js';
import type { SyncService } from './sync-service.js';
import { testSyncService } from '../../test/helpers/sync-service.js';
import type { PeerConnector, SyncPeer } from './types.js';

/**
 * The no-change run (issue 15): when the peer is still at the generation of
 * the source's copy and the share agrees with the hash cache at the version
 * that listed exactly the copy's files, the run costs the walk and that
 * comparison. These tests check that it takes that way when it may, and that
 * every change still reaches the peer.
 */
describe('a sync where nothing changed', () => {
  let dir: string;
  let db: Database;
  let repos: Repositories;
  let shareId: number;
  let shareRoot: string;
  let userKey: Buffer;
  let service: SyncService;
  let peers: Map<number, InMemoryPeer>;
  const context = { sourceServer: 'server-a', user: 'alice', share: 'backup' };
  const hourAgo = new Date(Date.now() - 3_600_000);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'anemone-no-change-'));
    db = openDatabase(path.join(dir, 'anemone.db'));
    repos = createRepositories(db);
    const masterKeys = new MasterKeyStore(path.join(dir, 'secrets'));
    const masterKey = await masterKeys.create();
    const { wrappedKey, keyCheck } = issueUserKey(masterKey, 'alice');
    userKey = unwrapUserKey(masterKey, 'alice', wrappedKey);
    const now = new Date().toISOString();
    const userId = repos.users.insertActive({ username: 'alice', isAdmin: false, passwordHash: 'x', wrappedKey, keyCheck, createdAt: now });
    shareId = repos.shares.insert({ userId, name: 'backup', syncEnabled: true, createdAt: now });
    for (const name of ['b1', 'b2']) {
      repos.peers.insert({ name, address: '127.0.0.1', port: 8443, enabled: true, timeoutMinutes: 1, fingerprint: 'AB:CD', uploadLimitKiBps: null, uploadWindows: [], createdAt: now });
    }
    shareRoot = path.join(dir, 'shares', 'alice', 'backup');
    const connector: PeerConnector = {
      enabledPeers: () => allPeers(),
      findPeer: (peerId) => allPeers().find((peer) => peer.id === peerId),
      connect: async (peerId) => peerOf(peerId),
    };
    service = testSyncService(dir, { repos, masterKeys, peers: connector });
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    rmSync(shareRoot, { recursive: true, force: true });
    mkdirSync(path.join(shareRoot, 'photos'), { recursive: true });
    for (let i = 0; i < 6; i += 1) writeOld(`photos/p${i}.jpg`, `photo ${i}`);
    writeOld('notes.txt', 'notes');
    writeOld('todo.txt', 'todo');
    peers = new Map([1, 2].map((peerId) => [peerId, new InMemoryPeer({ userKey, context, answersUnchanged: true })]));
    for (const peerId of [1, 2]) repos.peerManifests.forget(shareId, peerId);
    repos.fileHashes.deleteMany(shareId, [...repos.fileHashes.loadForShare(shareId).keys()]);
  });

  function allPeers(): SyncPeer[] {
    return [1, 2].map((id) => ({ id, name: `b${id}`, timeoutMinutes: 1, fingerprint: 'AB:CD' }));
  }
  function peerOf(peerId: number): InMemoryPeer {
    const peer = peers.get(peerId);
    if (!peer) throw new Error(`no peer ${peerId}`);
    return peer;
  }
  /** A file last modified an hour ago: outside the hash cache's racy window, so the scan caches it. */
  function writeOld(relPath: string, content: string, mtime = hourAgo): void {
    const target = path.join(shareRoot, relPath);
    writeFileSync(target, content);
    utimesSync(target, mtime, mtime);
  }
  async function syncTo(peerId: number): Promise<{ fileCount: number; filesDeleted: number }> {
    const started = service.syncShareToPeer(shareId, peerId);
    await started.done;
    const log = repos.syncLogs.findById(started.logId);
    assert.equal(log?.status, 'success', `${log?.errorCode}: ${log?.error}`);
    return { fileCount: log?.fileCount ?? -1, filesDeleted: log?.filesDeleted ?? -1 };
  }
  /** Replaces the copy's manifest by bytes that are no manifest: a run that reads it forgets the copy and fetches the peer's. */
  function spoilCopy(peerId: number): void {
    db.prepare('DELETE FROM peer_manifest_pieces WHERE share_id = ? AND peer_id = ?').run(shareId, peerId);
    db.prepare("INSERT INTO peer_manifest_pieces (share_id, peer_id, seq, bytes) VALUES (?, ?, 0, x'00')").run(shareId, peerId);
  }
  function copyWasRead(peerId: number): boolean {
    return repos.peerManifests.find(shareId, peerId)?.manifest.length !== 1;
  }

  it('after a first sync, costs the walk and the cache: the copy of the manifest is not read, nothing is sent', async () => {
    assert.equal((await syncTo(1)).fileCount, 8);
    spoilCopy(1);
    const objects = new Map(peerOf(1).objects);
    const manifests = peerOf(1).manifests.length;

    assert.deepEqual(await syncTo(1), { fileCount: 0, filesDeleted: 0 });
    assert.equal(copyWasRead(1), false, 'the copy was parsed');
    assert.equal(peerOf(1).fetches.unchanged, 1);
    assert.equal(peerOf(1).manifests.length, manifests, 'no manifest written');
    assert.deepEqual(peerOf(1).objects, objects);
  });

  it('sends a file edited since, even with the same size', async () => {
    await syncTo(1);
    spoilCopy(1);
    writeOld('notes.txt', 'NOTES', new Date(hourAgo.getTime() + 1000));

    assert.equal((await syncTo(1)).fileCount, 1);
    assert.equal(copyWasRead(1), true);
    assert.deepEqual(Object.keys(peerOf(1).manifests.at(-1)?.files ?? {}).sort(), [...Array.from({ length: 6 }, (_, i) => `photos/p${i}.jpg`), 'notes.txt', 'todo.txt'].sort());
  });

  it('deletes on the peer a file deleted at the source', async () => {
    await syncTo(1);
    rmSync(path.join(shareRoot, 'todo.txt'));

    assert.deepEqual(await syncTo(1), { fileCount: 0, filesDeleted: 1 });
    assert.equal(peerOf(1).objects.has(storedNameFor('todo.txt')), false);
  });

  it('sends a renamed folder under its new names and deletes the old ones', async () => {
    mkdirSync(path.join(shareRoot, 'docs'));
    writeOld('docs/a.txt', 'a');
    writeOld('docs/b.txt', 'b');
    await syncTo(1);
    renameSync(path.join(shareRoot, 'docs'), path.join(shareRoot, 'papers'));

    assert.deepEqual(await syncTo(1), { fileCount: 2, filesDeleted: 2 });
    assert.equal(peerOf(1).objects.has(storedNameFor('papers/a.txt')), true);
    assert.equal(peerOf(1).objects.has(storedNameFor('docs/a.txt')), false);
  });

  it("runs the full comparison when the peer's manifest changed behind this server's back", async () => {
    await syncTo(1);
    // the peer now holds a later generation that another writer made (a restore from elsewhere, say): without todo.txt
    const written = peerOf(1).manifests.at(-1);
    assert.ok(written);
    const copy = repos.peerManifests.find(shareId, 1);
    assert.ok(copy);
    const manifest = JSON.parse(copy.manifest.toString('utf8')) as { files: Record<string, unknown> };
    delete manifest.files['todo.txt'];
    const sealed = sealManifest(userKey, { ...(manifest as Parameters<typeof sealManifest>[1]), generation: written.generation + 1 });
    await peerOf(1).putManifest('alice', 'backup', () => Readable.from([sealed.bytes]), written.generation + 1);

    assert.equal((await syncTo(1)).fileCount, 1);
    assert.ok('todo.txt' in (peerOf(1).manifests.at(-1)?.files ?? {}));
  });

  it("takes the full way to a peer after a run to another peer changed the hash cache", async () => {
    await syncTo(1);
    await syncTo(2);
    writeOld('notes.txt', 'NOTES', new Date(hourAgo.getTime() + 1000));
    // b2 gets the edit, and the cache learns its hash: the share and the cache agree again, but not with b1's copy
    assert.equal((await syncTo(2)).fileCount, 1);

    assert.equal((await syncTo(1)).fileCount, 1);
    // and from then on, both peers' runs find nothing to do without reading their copies
    spoilCopy(1);
    spoilCopy(2);
    assert.equal((await syncTo(1)).fileCount, 0);
    assert.equal((await syncTo(2)).fileCount, 0);
    assert.equal(copyWasRead(1), false);
    assert.equal(copyWasRead(2), false);
  });

  it('records no agreement while a file is too recent for the hash cache', async () => {
    // modified just now: the cache does not keep its hash (a write in the same clock tick could follow)
    writeOld('fresh.txt', 'fresh', new Date());
    await syncTo(1);
    assert.equal(repos.peerManifests.findHead(shareId, 1)?.cacheVersion, undefined);
    spoilCopy(1);
    assert.equal((await syncTo(1)).fileCount, 0);
    assert.equal(copyWasRead(1), true);
  });

  it('records the agreement in a run that compared in full and found nothing to do, for the next run', async () => {
    await syncTo(1);
    // a write to the cache (another share's run could not, this one's could): the agreement recorded is stale
    repos.fileHashes.upsertMany(shareId, [{ relPath: 'elsewhere.txt', size: 1, mtimeMs: 1, sha256: '0'.repeat(64) }]);
    repos.fileHashes.deleteMany(shareId, ['elsewhere.txt']);
    assert.equal((await syncTo(1)).fileCount, 0);
    assert.equal(repos.peerManifests.findHead(shareId, 1)?.cacheVersion, repos.fileHashes.version(shareId));
    spoilCopy(1);
    assert.equal((await syncTo(1)).fileCount, 0);
    assert.equal(copyWasRead(1), false);
  });

  it('Force Sync reads everything even when nothing changed', async () => {
    await syncTo(1);
    spoilCopy(1);
    const started = service.syncShareToPeer(shareId, 1, { force: true });
    await started.done;
    assert.equal(repos.syncLogs.findById(started.logId)?.status, 'success');
    assert.equal(peerOf(1).fetches.unchanged, 0);
  });
});
