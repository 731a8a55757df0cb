import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MasterKeyStore } from '../accounts/master-key.js';
import { issueUserKey } from '../accounts/user-keys.js';
import { randomKey } from '../crypto/index.js';
import { createRepositories, openDatabase } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { loadOrCreateIdentity } from '../identity/identity.js';
import { wrapPeerPassword } from '../peers/peer-password.js';
import type { KitDocument } from './kit-document.js';
import { deriveKitKey, newKitKeyParams, type KitKey } from './kit-envelope.js';
import { loadKitKey } from './kit-key-store.js';
import { restoreServer } from './restore-server.js';

describe('restoreServer', () => {
  let root: string;
  let kitKey: KitKey;
  let document: KitDocument;
  const masterKey = randomKey();

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'anemone-rebuild-test-'));
    const identity = await loadOrCreateIdentity({ certsDir: path.join(root, 'old-certs') });
    kitKey = await deriveKitKey('a passphrase for tests', newKitKeyParams());
    const user = (username: string, isAdmin: boolean) => {
      const { wrappedKey, keyCheck } = issueUserKey(masterKey, username);
      return { username, isAdmin, passwordHash: `scrypt$hash-of-${username}`, wrappedKey, keyCheck, activatedAt: '2026-01-02T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z', shares: [{ name: 'backup', syncEnabled: true }, { name: 'data', syncEnabled: false }] };
    };
    document = {
      version: 1,
      createdAt: new Date().toISOString(),
      serverName: 'server-a',
      identity: { certPem: identity.certPem, keyPem: identity.keyPem },
      masterKey: masterKey.toString('base64'),
      users: [user('admin', true), user('alice', false)],
      peers: [{ id: 7, name: 'server-b', address: '192.0.2.1', port: 8443, wrappedPassword: wrapPeerPassword(masterKey, 7, 'pw'), enabled: true, timeoutMinutes: 30, fingerprint: identity.fingerprint, createdAt: '2026-01-03T00:00:00.000Z' }],
      syncState: [{ user: 'alice', share: 'backup', peerId: 7, generation: 42 }],
      settings: { acceptIncoming: true, syncPasswordHash: 'scrypt$sync', syncSchedule: JSON.stringify({ enabled: true, mode: 'daily', time: '03:00' }) },
    };
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function target(name: string) {
    const dataDir = path.join(root, name);
    const db = openDatabase(path.join(dataDir, 'db', 'anemone.db'));
    const repos = createRepositories(db);
    const masterKeys = new MasterKeyStore(path.join(dataDir, 'secrets'));
    return { dataDir, db, repos, masterKeys, target: { repos, masterKeys, sharePath: (u: string, s: string) => path.join(dataDir, 'shares', u, s), certsDir: path.join(dataDir, 'certs') } };
  }

  it('writes identity, master key and every row, with automatic sync paused', async () => {
    const t = await target('good');
    try {
      const summary = await restoreServer(t.target, { document, kitKey });
      assert.deepEqual(summary.users, ['admin', 'alice']);
      assert.equal(t.repos.settings.get('server_name'), 'server-a');
      assert.equal(t.repos.peers.findById(7)?.name, 'server-b', 'peer ids are kept: passwords are wrapped bound to them');
      const aliceBackup = t.repos.shares.listAll().find((share) => share.username === 'alice' && share.name === 'backup');
      assert.equal(t.repos.syncState.lastGeneration(aliceBackup?.id as number, 7), 42);
      assert.equal(t.repos.users.findByUsername('alice')?.passwordHash, 'scrypt$hash-of-alice');
      assert.equal(t.repos.settings.get('accept_incoming'), 'true');
      assert.deepEqual(JSON.parse(t.repos.settings.get('sync_schedule') as string), { enabled: false, mode: 'daily', time: '03:00' });
      assert.ok(loadKitKey(t.repos.settings, masterKey)?.kitKey.key.equals(kitKey.key), 'the kit key is kept to refresh the copies on peers');
      assert.ok(existsSync(path.join(t.dataDir, 'certs', 'server.key')));
      assert.ok(existsSync(path.join(t.dataDir, 'shares', 'alice', 'backup')));
      await assert.rejects(restoreServer(t.target, { document, kitKey }), (error) => error instanceof AnemoneError && error.code === 'ALREADY_SET_UP');
    } finally {
      t.db.close();
    }
  });

  it('changes nothing when the kit does not hang together', async () => {
    const t = await target('inconsistent');
    try {
      const other = issueUserKey(randomKey(), 'alice').wrappedKey;
      const broken = { ...document, users: document.users.map((user) => (user.username === 'alice' ? { ...user, wrappedKey: other } : user)) };
      await assert.rejects(restoreServer(t.target, { document: broken, kitKey }), (error) => error instanceof AnemoneError && error.code === 'KIT_INVALID');
      assert.equal(t.repos.settings.get('server_name'), undefined);
      assert.equal(t.repos.users.count(), 0);
      assert.equal(existsSync(path.join(t.dataDir, 'secrets', 'master.key')), false);
      assert.equal(existsSync(path.join(t.dataDir, 'certs')), false);
    } finally {
      t.db.close();
    }
  });
});
