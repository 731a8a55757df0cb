import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { encryptBuffer, fileInfo, manifestInfo, randomKey, sha256Hex } from '../crypto/index.js';
import { serializeManifest, type Manifest } from '../manifest/manifest.js';
import { MANIFEST_STORED_NAME, storedNameFor } from '../manifest/stored-names.js';
import { decryptPeerFolder, type DecryptProgress } from './decrypt-folder.js';
import { DecryptError } from './errors.js';

const share = { sourceServer: 'server-a', user: 'alice', share: 'backup' };
const userKey = randomKey();
const mtimeMs = 1_763_978_400_000;

let workDir: string;
let inDir: string;
let outDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-decrypt-folder-'));
  inDir = path.join(workDir, 'incoming', share.sourceServer, share.user, share.share);
  outDir = path.join(workDir, 'restored');
  await mkdir(inDir, { recursive: true });
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Stores `content` as the peer would, under `dir`; returns the stored bytes. */
async function storeFile(dir: string, relPath: string, content: Buffer): Promise<Buffer> {
  const encrypted = encryptBuffer(userKey, fileInfo({ ...share, relPath }), content);
  const storedPath = path.join(dir, ...storedNameFor(relPath).split('/'));
  await mkdir(path.dirname(storedPath), { recursive: true });
  await writeFile(storedPath, encrypted);
  return encrypted;
}

/** A peer's folder holding `files`, with a manifest listing them unless told otherwise. */
async function buildPeerFolder(files: Record<string, Buffer>, { withManifest = true } = {}): Promise<Manifest> {
  const manifest: Manifest = {
    version: 1,
    ...share,
    generation: 3,
    createdAt: '2026-11-24T10:00:00.000Z',
    files: {},
  };
  for (const [relPath, content] of Object.entries(files)) {
    const encrypted = await storeFile(inDir, relPath, content);
    manifest.files[relPath] = { size: content.length, mtimeMs, sha256: sha256Hex(content), ctSha256: sha256Hex(encrypted) };
  }
  if (withManifest) await writeManifest(manifest);
  return manifest;
}

async function writeManifest(manifest: Manifest): Promise<void> {
  const encrypted = encryptBuffer(userKey, manifestInfo(share), serializeManifest(manifest));
  await writeFile(path.join(inDir, MANIFEST_STORED_NAME), encrypted);
}

/** Every file under `dir`, temp files included, as sorted `/`-separated paths. */
async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...(await listTree(path.join(dir, entry.name), `${prefix}${entry.name}/`)));
    else found.push(prefix + entry.name);
  }
  return found.sort();
}

function decrypt(onProgress?: (progress: DecryptProgress) => void) {
  return decryptPeerFolder({ userKey, inDir, outDir, ...share, onProgress });
}

const files = {
  'notes/todo.txt': Buffer.from('buy milk\n'),
  'Photos/été café.jpg': Buffer.alloc(70_000, 7),
  'empty.txt': Buffer.alloc(0),
  _manifest: Buffer.from('a user file that merely starts with _'),
  '_manifest.json': Buffer.from('{"mine": true}'),
};

describe('decrypting a peer folder', () => {
  it('restores every file of the manifest with its content and modification time', async () => {
    await buildPeerFolder(files);
    const progress: DecryptProgress[] = [];
    const result = await decrypt((update) => progress.push(update));

    assert.deepEqual(result.failures, []);
    assert.equal(result.files, Object.keys(files).length);
    assert.equal(result.bytes, Object.values(files).reduce((sum, content) => sum + content.length, 0));
    assert.deepEqual(await listTree(outDir), Object.keys(files).sort());
    for (const [relPath, content] of Object.entries(files)) {
      const outPath = path.join(outDir, ...relPath.split('/'));
      assert.ok((await readFile(outPath)).equals(content), relPath);
      assert.equal((await stat(outPath)).mtimeMs, mtimeMs);
    }
    assert.deepEqual(progress.at(-1), { filesDone: 5, filesTotal: 5, bytesDone: result.bytes });
  });

  it('restores every stored file when there is no manifest, unescaping reserved names', async () => {
    await buildPeerFolder(files, { withManifest: false });
    const result = await decrypt();

    assert.deepEqual(result.failures, []);
    assert.deepEqual(await listTree(outDir), Object.keys(files).sort());
    assert.ok((await readFile(path.join(outDir, '_manifest.json'))).equals(files['_manifest.json']));
  });

  it('reports a tampered file and leaves neither it nor a temporary file in the output', async () => {
    await buildPeerFolder(files);
    const storedPath = path.join(inDir, storedNameFor('Photos/été café.jpg'));
    const stored = await readFile(storedPath);
    stored[100] = (stored[100] as number) ^ 1;
    await writeFile(storedPath, stored);

    const result = await decrypt();

    assert.equal(result.failures.length, 1);
    assert.equal(result.failures[0]?.path, 'Photos/été café.jpg');
    assert.match(result.failures[0]?.message ?? '', /damaged or was not made with this key/);
    assert.equal(result.files, 4);
    assert.deepEqual(await listTree(outDir), Object.keys(files).filter((name) => name !== 'Photos/été café.jpg').sort());
  });

  it('reports a file whose content does not match the manifest', async () => {
    const manifest = await buildPeerFolder(files);
    await storeFile(inDir, 'notes/todo.txt', Buffer.from('buy eggs\n'));
    await writeManifest(manifest);

    const result = await decrypt();

    assert.deepEqual(result.failures.map((failure) => failure.path), ['notes/todo.txt']);
    assert.match(result.failures[0]?.message ?? '', /SHA-256 does not match the manifest/);
    assert.ok(!(await listTree(outDir)).includes('notes/todo.txt'));
  });

  it('reports a file listed in the manifest but missing from the folder', async () => {
    await buildPeerFolder(files);
    await rm(path.join(inDir, storedNameFor('notes/todo.txt')));

    const result = await decrypt();

    assert.deepEqual(result.failures.map((failure) => failure.path), ['notes/todo.txt']);
    assert.match(result.failures[0]?.message ?? '', /missing from the peer's folder/);
    assert.equal(result.files, 4);
  });

  it('skips a FIFO and a symlink in the folder with a clear message, and decrypts the rest', { timeout: 20_000 }, async () => {
    await buildPeerFolder(files);
    const fifoPath = path.join(inDir, storedNameFor('notes/todo.txt'));
    await rm(fifoPath);
    execFileSync('mkfifo', [fifoPath]);
    // the link points at the genuine stored bytes, outside the folder: following it would "work", so only refusing it passes
    const linkPath = path.join(inDir, storedNameFor('Photos/été café.jpg'));
    const outside = path.join(workDir, 'elsewhere.enc');
    await rename(linkPath, outside);
    await symlink(outside, linkPath);

    const result = await decrypt();

    assert.deepEqual(result.failures.map((failure) => failure.path), ['Photos/été café.jpg', 'notes/todo.txt']);
    for (const failure of result.failures) assert.match(failure.message, /was not read: it is not a regular file but a symbolic link, a FIFO or a device/);
    assert.equal(result.files, 3);
    assert.deepEqual(await listTree(outDir), Object.keys(files).filter((name) => name !== 'notes/todo.txt' && name !== 'Photos/été café.jpg').sort());
  });

  it('refuses a manifest that is a symlink instead of reading through it', async () => {
    await buildPeerFolder(files);
    const manifestPath = path.join(inDir, MANIFEST_STORED_NAME);
    const outside = path.join(workDir, 'elsewhere-manifest.enc');
    await rename(manifestPath, outside);
    await symlink(outside, manifestPath);

    await assert.rejects(decrypt(), (error: unknown) => error instanceof DecryptError && error.code === 'not-a-file');
    assert.deepEqual(await listTree(outDir).catch(() => []), []);
  });

  it('never writes outside the output folder, whatever paths the manifest lists', async () => {
    const manifest = await buildPeerFolder({ 'safe.txt': Buffer.from('ok') });
    const hostilePaths = ['../escape.txt', '../../escape.txt', 'a/../../escape.txt', '/tmp/escape.txt', 'a\\..\\escape.txt', 'nul\0.txt', './x', 'a//b'];
    const content = Buffer.from('escaped');
    for (const relPath of hostilePaths) {
      // A valid ciphertext where a naive restore would look for it, so only the path check stops it.
      const encrypted = await storeFile(inDir, relPath.replaceAll('\0', ''), content);
      manifest.files[relPath] = { size: content.length, mtimeMs, sha256: sha256Hex(content), ctSha256: sha256Hex(encrypted) };
    }
    await writeManifest(manifest);
    const before = await listTree(workDir);

    const result = await decrypt();

    assert.equal(result.files, 1);
    assert.deepEqual(result.failures.map((failure) => failure.path).sort(), [...hostilePaths].sort());
    for (const failure of result.failures) assert.match(failure.message, /was not restored/);
    assert.deepEqual(await listTree(outDir), ['safe.txt']);
    assert.deepEqual(await listTree(workDir), [...before, 'restored/safe.txt'].sort());
  });

  it('refuses to start when the manifest does not decrypt with the key', async () => {
    await buildPeerFolder(files);
    await assert.rejects(
      decryptPeerFolder({ userKey: randomKey(), inDir, outDir, ...share }),
      (error: unknown) => error instanceof DecryptError && error.code === 'damaged' && /Check the user key/.test(error.message),
    );
  });

  it('refuses to start when the share is named differently from the one encrypted', async () => {
    await buildPeerFolder(files);
    await assert.rejects(
      decryptPeerFolder({ userKey, inDir, outDir, ...share, share: 'other' }),
      (error: unknown) => error instanceof DecryptError && error.code === 'damaged',
    );
  });
});
