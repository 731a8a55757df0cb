import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseKeyText } from '../../src/crypto/index.js';
import { openDatabase } from '../../src/db/index.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/test-server.js';
import { loadVectors } from '../helpers/vectors.js';

const vectors = loadVectors();
const fileCase = vectors.cases.find((entry) => entry.kind === 'file' && entry.relPath === 'notes/todo.txt' && entry.plaintext.length === 1000);
const ADMIN_PASSWORD = 'a long admin password';

async function setUp(dataDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['setup', '--server-name', 'home', '--username', 'admin', '--password-stdin', '--json', '--data-dir', dataDir], { input: `${ADMIN_PASSWORD}\n` });
}

describe('the command line in scripts: exit codes and --version', () => {
  it('prints the package version and exits 0', async () => {
    const result = await runCli(['--version']);
    assert.equal(result.code, 0);
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(result.stdout.trim(), version);
  });

  it('exits 2 on a usage error: an unknown option, a missing argument, a missing command', async () => {
    assert.equal((await runCli(['status', '--no-such-flag'])).code, 2);
    assert.equal((await runCli(['reset-password'])).code, 2);
    assert.equal((await runCli(['no-such-command'])).code, 2);
  });
});

describe('anemone decrypt in scripts', () => {
  let dir: string;
  let shareFolder: string;
  before(async () => {
    assert.ok(fileCase?.kind === 'file' && fileCase.ciphertextHex);
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-cli-scripts-'));
    // no manifest: every stored file found is restored; one of them is damaged
    shareFolder = path.join(dir, 'incoming', 'server-a', 'alice', 'backup');
    await mkdir(path.join(shareFolder, 'notes'), { recursive: true });
    await writeFile(path.join(shareFolder, 'notes', 'todo.txt.enc'), Buffer.from(fileCase.ciphertextHex, 'hex'));
    await writeFile(path.join(shareFolder, 'notes', 'broken.txt.enc'), Buffer.alloc(200, 7));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses --key (a key on the command line) with exit 2, saying what to use, and writes nothing', async () => {
    const out = path.join(dir, 'refused');
    const result = await runCli(['decrypt', shareFolder, '--out', out, '--key', vectors.key.base64]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--key is no longer accepted/);
    assert.match(result.stderr, /--key-file/);
    assert.match(result.stderr, /--key-stdin/);
    assert.deepEqual(await readdir(out).catch(() => []), []);
  });

  it('exits 2 when no key is given and standard input is not a terminal (no prompt)', async () => {
    const result = await runCli(['decrypt', shareFolder, '--out', path.join(dir, 'nokey')], { env: { ANEMONE_USER_KEY: '' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /No key given/);
  });

  it('reads the key from a file, and exits 3 when some files are decrypted and some fail, with a JSON summary', async () => {
    const keyFile = path.join(dir, 'key.txt');
    await writeFile(keyFile, `${vectors.key.base64}\n`);
    const out = path.join(dir, 'partly');
    const result = await runCli(['decrypt', shareFolder, '--out', out, '--key-file', keyFile, '--json']);
    assert.equal(result.code, 3, result.stderr);
    const summary = JSON.parse(result.stdout) as { outDir: string; files: number; bytes: number; failures: { path: string; message: string }[] };
    assert.equal(summary.outDir, out);
    assert.equal(summary.files, 1);
    assert.equal(summary.bytes, 1000);
    assert.deepEqual(summary.failures.map((failure) => failure.path), ['notes/broken.txt']);
    assert.match(result.stderr, /1 file\(s\) could not be decrypted/);
    assert.equal((await readFile(path.join(out, 'notes', 'todo.txt'))).length, 1000);
  });

  it('prints one file\'s summary as JSON, the key from standard input', async () => {
    const out = path.join(dir, 'one');
    const result = await runCli(
      ['decrypt', path.join(shareFolder, 'notes', 'todo.txt.enc'), '--out', out, '--key-stdin', '--json', '--source', 'server-a', '--user', 'alice', '--share', 'backup', '--path', 'notes/todo.txt'],
      { input: `${vectors.key.base64}\n` },
    );
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { files: number; bytes: number; path: string; failures: unknown[] };
    assert.deepEqual({ files: summary.files, bytes: summary.bytes, path: summary.path, failures: summary.failures }, { files: 1, bytes: 1000, path: 'notes/todo.txt', failures: [] });
  });
});

describe('anemone setup --json, status and reset-password on a data directory', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-cli-status-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('setup --json prints the server name and the administrator\'s key, and nothing else on stdout', async () => {
    const result = await setUp(dataDir);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(printed).sort(), ['dataDir', 'encryptionKey', 'encryptionKeyGrouped', 'serverName', 'username']);
    assert.equal(printed.serverName, 'home');
    assert.equal(printed.username, 'admin');
    assert.equal(Buffer.from(printed.encryptionKey ?? '', 'base64').length, 32);
    assert.deepEqual(parseKeyText(printed.encryptionKeyGrouped ?? ''), Buffer.from(printed.encryptionKey ?? '', 'base64'), 'the grouped form is the same key');
    assert.equal((await readdir(dataDir)).includes('logs'), false, 'no log file unless asked');
  });

  it('status reads the database while the server runs: peers, last sync per share and peer, runs in progress', async () => {
    const test = await startTestServer({ dataDir, keepDataDir: true });
    try {
      const admin = test.client();
      assert.equal((await admin.post('/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status, 200);
      assert.equal((await admin.post('/api/admin/peers', { name: 'b', address: '192.0.2.10', password: 'the peer password' })).status, 201);
      // the runs a sync engine leaves in the log
      const db = openDatabase(path.join(dataDir, 'db', 'anemone.db'));
      const ids = db.prepare(`SELECT s.id AS shareId, u.id AS userId, p.id AS peerId FROM shares s JOIN users u ON u.id = s.user_id, peers p WHERE s.name = 'backup'`).get() as { shareId: number; userId: number; peerId: number };
      const insert = db.prepare(
        `INSERT INTO sync_logs (user_id, username, share_id, share_name, peer_id, peer_name, started_at, finished_at, status, error)
         VALUES (?, 'admin', ?, 'backup', ?, 'b', ?, ?, ?, ?)`,
      );
      insert.run(ids.userId, ids.shareId, ids.peerId, '2026-01-01T10:00:00.000Z', '2026-01-01T10:01:00.000Z', 'success', null);
      insert.run(ids.userId, ids.shareId, ids.peerId, '2026-01-02T10:00:00.000Z', '2026-01-02T10:00:05.000Z', 'failure', 'Connection refused');
      insert.run(ids.userId, ids.shareId, ids.peerId, '2026-01-03T10:00:00.000Z', null, 'running', null);

      const result = await runCli(['status', '--json', '--data-dir', dataDir]);
      assert.equal(result.code, 0, result.stderr);
      const status = JSON.parse(result.stdout) as {
        serverName: string;
        peers: { name: string; address: string; enabled: boolean }[];
        syncs: { user: string; share: string; peer: string; lastRun: { status: string } | null; lastSuccessAt: string | null }[];
        running: { user: string; share: string; peer: string; startedAt: string }[];
      };
      assert.equal(status.serverName, 'home');
      assert.deepEqual(status.peers.map((peer) => [peer.name, peer.address, peer.enabled]), [['b', '192.0.2.10', true]]);
      assert.deepEqual(status.syncs, [{ user: 'admin', share: 'backup', peer: 'b', lastRun: status.syncs[0]?.lastRun ?? null, lastSuccessAt: '2026-01-01T10:01:00.000Z' }]);
      assert.equal(status.syncs[0]?.lastRun?.status, 'running');
      assert.deepEqual(status.running.map((run) => [run.user, run.share, run.peer, run.startedAt]), [['admin', 'backup', 'b', '2026-01-03T10:00:00.000Z']]);
    } finally {
      await test.stop();
    }
    const text = await runCli(['status', '--data-dir', dataDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Server "home"/);
    assert.match(text.stdout, /admin\/backup → b {2}running .* last success: 2026-01-01T10:01:00.000Z/);
  });

  it('status says so when the directory holds no database (exit 1)', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'anemone-cli-empty-'));
    try {
      const result = await runCli(['status', '--data-dir', empty]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /no Anemone database/);
      assert.match(result.stderr, /--data-dir/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('reset-password sets a new password while the server runs, and ends the user\'s sessions', async () => {
    const test = await startTestServer({ dataDir, keepDataDir: true });
    try {
      const signedIn = test.client();
      assert.equal((await signedIn.post('/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status, 200);
      assert.equal((await signedIn.get('/api/auth/me')).status, 200);

      const result = await runCli(['reset-password', 'admin', '--password-stdin', '--json', '--data-dir', dataDir], { input: 'a brand new password\n' });
      assert.equal(result.code, 0, result.stderr);
      const printed = JSON.parse(result.stdout) as { username: string; sessionsEnded: number };
      assert.equal(printed.username, 'admin');
      assert.ok(printed.sessionsEnded >= 1, 'this test\'s session, and the previous test\'s');

      assert.equal((await signedIn.get('/api/auth/me')).status, 401, 'the old session ended');
      assert.equal((await test.client().post('/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status, 401);
      assert.equal((await test.client().post('/api/auth/login', { username: 'admin', password: 'a brand new password' })).status, 200);
    } finally {
      await test.stop();
    }
  });

  it('reset-password refuses an unknown user (exit 1) and a password too short (exit 2), changing nothing', async () => {
    const unknown = await runCli(['reset-password', 'nobody', '--password-stdin', '--data-dir', dataDir], { input: 'a brand new password\n' });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No user named "nobody"/);
    const short = await runCli(['reset-password', 'admin', '--password-stdin', '--data-dir', dataDir], { input: 'short\n' });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /Invalid password/);
    const none = await runCli(['reset-password', 'admin', '--data-dir', dataDir], { env: { ANEMONE_NEW_PASSWORD: '' } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /No new password given/);
  });
});
