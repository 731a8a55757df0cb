import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIGRATION_RECORD_NAME, runIncomingMigrate } from '../../src/cli/incoming-migrate.js';
import { openDatabaseReadOnly } from '../../src/db/index.js';
import { SettingsRepo } from '../../src/db/settings-repo.js';
import { AnemoneError } from '../../src/errors/catalogue.js';
import { S3Objects, s3Client } from '../../src/incoming/s3-objects.js';
import { storeFiles } from '../../src/incoming/s3-migration.js';
import { LocalS3 } from '../helpers/local-s3.js';
import { s3ConfigFlags } from '../helpers/receiver-stores.js';
import { runCli } from '../helpers/cli.js';
import { fetchBytes } from '../helpers/restore-requests.js';
import { type ClusterServer, createUser, pairPeer, startNamedServer, storedFiles, syncAndWait, writeFiles } from '../helpers/sync-cluster.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** A peer that kept its sources' backups on disk moves them into a bucket, in two runs, and serves restores from there. */
describe('anemone incoming migrate --to s3', () => {
  const s3 = new LocalS3();
  const prefix = `migrated-${randomBytes(4).toString('hex')}`;
  const original = { 'docs/report.txt': randomBytes(3000), 'photo.jpg': randomBytes(200_000), 'gone.txt': randomBytes(100), 'big.bin': randomBytes(6 * 1024 * 1024 + 123) };
  const changed = { 'photo.jpg': randomBytes(200_000) };
  let work: string;
  let bDir: string;
  let a: ClusterServer;
  let b: ClusterServer | undefined;
  let bOnS3: TestServer | undefined;
  let alice: Awaited<ReturnType<typeof createUser>>;
  let peerId: number;

  const storeSetting = () => {
    const db = openDatabaseReadOnly(path.join(bDir, 'db', 'anemone.db'));
    try {
      return new SettingsRepo(db).get('incoming_store');
    } finally {
      db.close();
    }
  };
  const flags = () => ({ dataDir: bDir, ...s3ConfigFlags(s3, prefix) });
  const onBucket = async (work: (objects: S3Objects) => Promise<unknown>) => {
    const client = s3Client(s3.location(prefix));
    try {
      await work(new S3Objects(client, s3.location(prefix)));
    } finally {
      client.destroy();
    }
  };
  /** The real CLI, its bucket settings from the environment as docs/install.md shows. */
  const cli = (args: string[]) => {
    const location = s3.location(prefix);
    return runCli(['incoming', 'migrate', ...args, '--data-dir', bDir], {
      env: {
        ANEMONE_S3_ENDPOINT: location.endpoint,
        ANEMONE_S3_BUCKET: location.bucket,
        ANEMONE_S3_PREFIX: prefix,
        ANEMONE_S3_FORCE_PATH_STYLE: 'true',
        ANEMONE_S3_ACCESS_KEY_ID: location.accessKeyId,
        ANEMONE_S3_SECRET_ACCESS_KEY: location.secretAccessKey,
      },
    });
  };

  before(async () => {
    await s3.start();
    work = await mkdtemp(path.join(os.tmpdir(), 'anemone-migrate-'));
    bDir = path.join(work, 'b');
    a = await startNamedServer('server-a');
    b = await startNamedServer('server-b', { acceptPassword: 'password of b', dataDir: bDir });
    alice = await createUser(a, 'alice');
    peerId = await pairPeer(a, b, 'password of b');
    const backup = path.join(a.test.dataDir, 'shares', 'alice', 'backup');
    await writeFiles(backup, original);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
    await writeFiles(backup, changed);
    await rm(path.join(backup, 'gone.txt'));
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'));
  });
  after(async () => {
    await a.test.stop();
    await b?.test.server.stop();
    await bOnS3?.stop();
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses while the server runs on the data directory', async () => {
    await assert.rejects(runIncomingMigrate({ to: 's3' }, flags()), (error) => error instanceof AnemoneError && error.code === 'INCOMING_MIGRATE_SERVER_RUNNING' && error.message.includes(`process ${process.pid}`));
    const refused = await cli(['--to', 's3']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /Anemone is running on .* \(process \d+\)[\s\S]*Stop the server/);
    const wrongTarget = await cli(['--to', 'fs']);
    assert.equal(wrongTarget.code, 2, wrongTarget.stderr);
    await (b as ClusterServer).test.server.stop();
    b = undefined;
  });

  it('stops part-way without switching, then resumes after what was verified, and switches', async () => {
    const incomingDir = path.join(bDir, 'incoming');
    const onDisk = await storedFiles(incomingDir);
    const toMove: string[] = [];
    for await (const file of storeFiles(incomingDir)) toMove.push(file.relPath);
    assert.ok(toMove.some((relPath) => relPath.startsWith('server-a/.history/alice/backup/')), `history is moved too: ${toMove.join(', ')}`);
    assert.ok(toMove.some((relPath) => relPath.includes('/_manifest.json.enc')));
    assert.ok(!toMove.includes('server-a/_recovery-kit.bin'), 'recovery kits stay on disk');

    await assert.rejects(
      runIncomingMigrate({ to: 's3' }, flags(), { afterVerified: (count) => {
        if (count === 3) throw new Error('injected: the copy stops here');
      } }),
      /injected/,
    );
    assert.equal(storeSetting(), 'fs', 'not switched before everything is verified');
    assert.ok(existsSync(path.join(bDir, 'db', MIGRATION_RECORD_NAME)));

    const recorded = (await readFile(path.join(bDir, 'db', MIGRATION_RECORD_NAME), 'utf8')).trim().split('\n').slice(1).map((line) => JSON.parse(line).relPath as string);
    assert.ok(recorded.length >= 3, `verified before the failure: ${recorded.join(', ')}`);
    // one verified object lost from the bucket meanwhile: recorded, yet copied again
    await onBucket((objects) => objects.delete(objects.key(recorded[0] as string)));

    let copiedSecondRun = 0;
    const done = await runIncomingMigrate({ to: 's3' }, flags(), { afterVerified: (count) => (copiedSecondRun = count) });
    assert.equal(done.filesTotal, toMove.length);
    assert.equal(done.filesSkipped, recorded.length - 1, 'the first run\'s verified objects still in the bucket are skipped');
    assert.equal(copiedSecondRun, done.filesTotal - done.filesSkipped, 'only the rest is copied');
    assert.equal(storeSetting(), `s3:${s3.bucket}/${prefix}`);
    assert.ok(!existsSync(path.join(bDir, 'db', MIGRATION_RECORD_NAME)), 'the record goes once switched');

    const keys: string[] = [];
    await onBucket(async (objects) => {
      for await (const object of objects.list(`${prefix}/`)) keys.push(object.key.slice(prefix.length + 1));
    });
    assert.deepEqual(keys.sort(), [...toMove].sort(), 'the bucket holds what the disk store held');
    const stillOnDisk = await storedFiles(incomingDir);
    assert.deepEqual([...stillOnDisk.keys()].sort(), [...onDisk.keys()].sort(), 'nothing deleted from the disk');
    const again = await cli(['--to', 's3']);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /keeps its peers' backups in s3:anemone\/migrated-.*, not on its disk/);
  });

  it('serves restores and versions from the bucket once started on it', async () => {
    bOnS3 = await startTestServer({ dataDir: bDir, keepDataDir: true, config: s3ConfigFlags(s3, prefix) });
    const moved = await a.admin.request('PATCH', `/api/admin/peers/${peerId}`, { port: Number(new URL(bOnS3.peerUrl).port) });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    // nothing left on disk would be read: the peer's folder moves away, the kit excepted
    await rm(path.join(bDir, 'incoming', 'server-a', 'alice'), { recursive: true });
    await rm(path.join(bDir, 'incoming', 'server-a', '.history'), { recursive: true });

    const base = `/api/restore/${peerId}/backup`;
    const latest = { ...original, ...changed } as Record<string, Buffer>;
    delete latest['gone.txt'];
    for (const [relPath, bytes] of Object.entries(latest)) {
      const got = await fetchBytes(alice.client, `${base}/file?path=${encodeURIComponent(relPath)}`);
      assert.equal(got.status, 200, got.body.toString().slice(0, 200));
      assert.ok(got.body.equals(bytes), `${relPath} byte for byte`);
    }
    const snapshots = (await alice.client.get(`${base}/snapshots`)).body.snapshots as { id: number }[];
    assert.equal(snapshots.length, 2, 'both snapshots still listed');
    const oldest = snapshots.at(-1)?.id as number;
    for (const relPath of ['photo.jpg', 'gone.txt']) {
      const old = await fetchBytes(alice.client, `${base}/file?path=${encodeURIComponent(relPath)}&snapshot=${oldest}`);
      assert.equal(old.status, 200, old.body.toString().slice(0, 200));
      assert.ok(old.body.equals(original[relPath as keyof typeof original]), `${relPath} as it was, from the bucket's history`);
    }
    const versions = await alice.client.get(`${base}/versions?path=photo.jpg`);
    assert.equal(versions.body.versions.length, 2, JSON.stringify(versions.body));

    const next = { 'new.txt': randomBytes(500) };
    await writeFiles(path.join(a.test.dataDir, 'shares', 'alice', 'backup'), next);
    assert.ok((await syncAndWait(alice.client, a.admin, alice.backupShareId)).every((log) => log.status === 'success'), 'the source syncs on into the bucket');
    const got = await fetchBytes(alice.client, `${base}/file?path=new.txt`);
    assert.ok(got.body.equals(next['new.txt']));
  });
});
