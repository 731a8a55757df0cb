import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { ManifestState } from './manifest-state.js';
import type { ManifestFile } from './manifest.js';
import { openSealedManifest, sealedManifestStream } from './sealed-manifest.js';

const userKey = randomBytes(32);
const context = { sourceServer: 'home', user: 'alice', share: 'backup' };
const envelope = { version: 1 as const, ...context, generation: 3, createdAt: '2026-12-05T00:00:00.000Z' };
const sha = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const entry = (n: number): ManifestFile => ({ size: n, mtimeMs: n, sha256: sha(n), ctSha256: sha(n + 1) });

/** Reads a stream to its end a chunk per turn of the event loop, as a connection takes it. */
async function readSlowly(stream: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const chunk of stream) {
    pieces.push(chunk as Buffer);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Buffer.concat(pieces);
}

describe('sealedManifestStream', () => {
  it('seals a manifest of many pieces as it is read, and opens as the manifest its state gives', async () => {
    const state = new ManifestState(null);
    // ~1.7 MB of JSON: two pieces of the state's plaintext, many chunks of the format
    for (let i = 0; i < 8_000; i += 1) state.set(`folder-${i % 40}/file-${i}.bin`, entry(i));
    const sealed = await readSlowly(sealedManifestStream(userKey, context, state.serializedPieces(envelope)));
    assert.deepEqual(openSealedManifest(userKey, context, sealed), { ...envelope, files: state.toFiles() });
  });

  it('does not open under the names of another share', async () => {
    const state = new ManifestState({ 'a.txt': entry(1) });
    const sealed = await readSlowly(sealedManifestStream(userKey, context, state.serializedPieces(envelope)));
    assert.throws(() => openSealedManifest(userKey, { ...context, share: 'other' }, sealed), { name: 'FormatError' });
  });

  it('fails its reader when the plaintext cannot be made', async () => {
    function* failing(): Generator<Buffer> {
      yield Buffer.from('{"version":1');
      throw new Error('the state broke');
    }
    await assert.rejects(readSlowly(sealedManifestStream(userKey, context, failing())), /the state broke/);
  });
});
