import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { groupedKeyText, parseKeyText } from '../../src/crypto/index.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/test-server.js';
import { loadVectors } from '../helpers/vectors.js';

const vectors = loadVectors();
const manifestCase = vectors.cases.find((entry) => entry.kind === 'manifest');
const fileCase = vectors.cases.find((entry) => entry.kind === 'file' && entry.relPath === 'notes/todo.txt' && entry.plaintext.length === 1000);

describe('anemone decrypt (offline, on the known-answer vectors)', () => {
  let dir: string;
  let shareFolder: string;

  before(async () => {
    assert.ok(manifestCase?.kind === 'manifest' && fileCase?.kind === 'file' && fileCase.ciphertextHex);
    dir = await mkdtemp(path.join(os.tmpdir(), 'anemone-cli-'));
    // a peer's folder as PRODUCT.md shows it: incoming/<source>/<user>/<share>/
    shareFolder = path.join(dir, 'incoming', 'server-a', 'alice', 'backup');
    await mkdir(path.join(shareFolder, 'notes'), { recursive: true });
    await writeFile(path.join(shareFolder, '_manifest.json.enc'), Buffer.from(manifestCase.ciphertextHex, 'hex'));
    await writeFile(path.join(shareFolder, 'notes', 'todo.txt.enc'), Buffer.from(fileCase.ciphertextHex, 'hex'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('decrypts a whole peer folder, taking source, user and share from its path', async () => {
    const out = path.join(dir, 'restored');
    const result = await runCli(['decrypt', shareFolder, '--out', out, '--key-stdin'], { input: `${vectors.key.base64}\n` });
    assert.equal(result.code, 0, result.stderr);
    const restored = await readFile(path.join(out, 'notes', 'todo.txt'));
    assert.equal(createHash('sha256').update(restored).digest('hex'), fileCase?.kind === 'file' ? fileCase.plaintextSha256 : '');
    assert.deepEqual(await readdir(out), ['notes']);
  });

  it('decrypts one file, verified against the manifest beside it', async () => {
    const out = path.join(dir, 'single');
    const result = await runCli(['decrypt', path.join(shareFolder, 'notes', 'todo.txt.enc'), '--out', out], { env: { ANEMONE_USER_KEY: vectors.key.base64 } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /verified against the manifest/);
    assert.equal(createHash('sha256').update(await readFile(path.join(out, 'todo.txt'))).digest('hex'), fileCase?.kind === 'file' ? fileCase.plaintextSha256 : '');
  });

  it('refuses a wrong key with a readable message and writes nothing', async () => {
    const out = path.join(dir, 'wrong-key');
    const wrongKey = Buffer.alloc(32, 9).toString('base64');
    const result = await runCli(['decrypt', shareFolder, '--out', out, '--key-stdin'], { input: `${wrongKey}\n` });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Error: /m);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    const written = await readdir(out).catch(() => []);
    assert.deepEqual(written, []);
  });

  it('takes the key in its grouped form too, as typed from paper: lower case, O for 0, spaces for dashes', async () => {
    const out = path.join(dir, 'grouped');
    const typed = groupedKeyText(Buffer.from(vectors.key.base64, 'base64')).toLowerCase().replaceAll('0', 'o').replaceAll('-', ' ');
    const result = await runCli(['decrypt', shareFolder, '--out', out, '--key-stdin'], { input: `${typed}\n` });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(createHash('sha256').update(await readFile(path.join(out, 'notes', 'todo.txt'))).digest('hex'), fileCase?.kind === 'file' ? fileCase.plaintextSha256 : '');
  });

  it('refuses text that is not a key in either form, saying what a key looks like', async () => {
    const result = await runCli(['decrypt', shareFolder, '--out', path.join(dir, 'x'), '--key-stdin'], { input: 'not-a-key\n' });
    assert.equal(result.code, 2, 'a usage error');
    assert.match(result.stderr, /not a user key/);
    assert.match(result.stderr, /13 groups of 4/);
  });
});

describe('anemone setup (headless)', () => {
  it('sets up a data directory, prints the key once, and the server then accepts the admin', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-setup-'));
    try {
      const result = await runCli(['setup', '--server-name', 'home', '--username', 'admin', '--password-stdin', '--data-dir', dataDir], {
        input: 'a long password\n',
      });
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.split('\n').map((line) => line.trim());
      const key = lines.find((line) => /^[A-Za-z0-9+/]{43}=$/.test(line));
      assert.ok(key, `a key in: ${result.stdout}`);
      const grouped = lines.find((line) => /^[0-9A-Z]{4}(-[0-9A-Z]{4}){12}$/.test(line));
      assert.deepEqual(grouped && parseKeyText(grouped), Buffer.from(key, 'base64'), 'the same key in groups');

      const again = await runCli(['setup', '--server-name', 'home', '--username', 'admin', '--password-stdin', '--data-dir', dataDir], {
        input: 'a long password\n',
      });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already set up/);

      const test = await startTestServer({ dataDir });
      try {
        const login = await test.client().post('/api/auth/login', { username: 'admin', password: 'a long password' });
        assert.equal(login.status, 200);
        assert.equal(login.body.user.serverName, 'home');
      } finally {
        await test.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('names the variable when the configuration is bad, with the usage exit code', async () => {
    const result = await runCli(['serve'], { env: { HTTPS_PORT: 'eighty' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /HTTPS_PORT/);
  });
});
