import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FIXTURES } from '../../test/helpers/fixtures.js';
import { ManifestError, parseManifest, serializeManifest, type Manifest } from './manifest.js';

const hashOf = (digit: string) => digit.repeat(64);

function sampleManifest(): Manifest {
  return {
    version: 1,
    sourceServer: 'server-a',
    user: 'alice',
    share: 'backup',
    generation: 7,
    createdAt: '2026-11-24T10:00:00.000Z',
    files: {
      'photos/cat.jpg': { size: 52311, mtimeMs: 1763978400000, sha256: hashOf('a'), ctSha256: hashOf('b') },
    },
  };
}

function isManifestError(code: ManifestError['code']) {
  return (error: unknown) => error instanceof ManifestError && error.code === code;
}

describe('manifest', () => {
  it('parses what it serialised, byte for byte in key order', () => {
    const serialised = serializeManifest(sampleManifest());
    assert.deepEqual(parseManifest(serialised), sampleManifest());
    assert.ok(serializeManifest(parseManifest(serialised)).equals(serialised));
  });

  it('reads the manifest of the format vectors and writes it back unchanged', () => {
    const vectors = JSON.parse(readFileSync(FIXTURES.formatVectors.copy, 'utf8')) as {
      cases: { kind: string; plaintextUtf8?: string }[];
    };
    const plaintext = vectors.cases.find((vector) => vector.kind === 'manifest')?.plaintextUtf8;
    assert.ok(plaintext);
    assert.equal(serializeManifest(parseManifest(plaintext)).toString('utf8'), plaintext);
  });

  it('accepts a string as well as bytes', () => {
    assert.deepEqual(parseManifest(serializeManifest(sampleManifest()).toString('utf8')), sampleManifest());
  });

  it('refuses text that is not JSON, with a readable message', () => {
    assert.throws(() => parseManifest('{"version": 1,'), isManifestError('invalid-json'));
  });

  it('refuses a manifest of another version', () => {
    assert.throws(() => parseManifest(JSON.stringify({ ...sampleManifest(), version: 2 })), isManifestError('invalid-manifest'));
  });

  it('names the field that is wrong', () => {
    const manifest = sampleManifest();
    const badFiles = { 'photos/cat.jpg': { size: 1, mtimeMs: 0, sha256: 'xyz', ctSha256: hashOf('b') } };
    assert.throws(
      () => parseManifest(JSON.stringify({ ...manifest, files: badFiles })),
      (error: unknown) => error instanceof ManifestError && /files\.photos\/cat\.jpg\.sha256/.test(error.message),
    );
  });

  it('refuses every malformed file list or entry, naming where', () => {
    const entry = { size: 3, mtimeMs: 1, sha256: hashOf('c'), ctSha256: hashOf('d') };
    const cases: [unknown, RegExp][] = [
      [[entry], /files: must be an object/],
      [null, /files: must be an object/],
      [{ '': entry }, /files\.: a file path must not be empty/],
      [{ 'a.txt': null }, /files\.a\.txt/],
      [{ 'a.txt': [] }, /files\.a\.txt/],
      [{ 'a.txt': { ...entry, size: -1 } }, /files\.a\.txt\.size/],
      [{ 'a.txt': { ...entry, size: 2 ** 53 } }, /files\.a\.txt\.size/],
      [{ 'a.txt': { ...entry, mtimeMs: '1' } }, /files\.a\.txt\.mtimeMs/],
      [{ 'a.txt': { ...entry, ctSha256: hashOf('D') } }, /files\.a\.txt\.ctSha256/],
      [{ 'a.txt': { size: 3, mtimeMs: 1, sha256: hashOf('c') } }, /files\.a\.txt\.ctSha256/],
    ];
    for (const [files, message] of cases) {
      assert.throws(
        () => parseManifest(JSON.stringify({ ...sampleManifest(), files })),
        (error: unknown) => error instanceof ManifestError && error.code === 'invalid-manifest' && message.test(error.message),
        JSON.stringify(files),
      );
    }
  });

  it('keeps only the fields of an entry, in the order it writes them', () => {
    const json = JSON.stringify({ ...sampleManifest(), files: { 'a.txt': { ctSha256: hashOf('d'), extra: true, sha256: hashOf('c'), mtimeMs: 1, size: 3 } } });
    assert.equal(JSON.stringify(parseManifest(json).files), JSON.stringify({ 'a.txt': { size: 3, mtimeMs: 1, sha256: hashOf('c'), ctSha256: hashOf('d') } }));
  });

  it('refuses a negative or fractional generation and a malformed date', () => {
    for (const change of [{ generation: -1 }, { generation: 1.5 }, { createdAt: 'yesterday' }]) {
      assert.throws(() => parseManifest(JSON.stringify({ ...sampleManifest(), ...change })), isManifestError('invalid-manifest'));
    }
  });

  it('keeps a file named __proto__', () => {
    const entry = { size: 3, mtimeMs: 1, sha256: hashOf('c'), ctSha256: hashOf('d') };
    const json = serializeManifest(sampleManifest()).toString('utf8').replace('"files":{', `"files":{"__proto__":${JSON.stringify(entry)},`);
    const manifest = parseManifest(json);
    assert.deepEqual(Object.getOwnPropertyDescriptor(manifest.files, '__proto__')?.value, entry);
    assert.equal(Object.getPrototypeOf(manifest.files), Object.prototype);
    assert.deepEqual(parseManifest(serializeManifest(manifest)), manifest);
  });
});
