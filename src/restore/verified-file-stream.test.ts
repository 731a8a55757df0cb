import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { CHUNK_SIZE, encryptBuffer, fileInfo, randomKey, sha256Hex, type FileContext } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { ManifestFile } from '../manifest/manifest.js';
import { PeerError } from '../peer-client/index.js';
import { openVerifiedFile } from './verified-file-stream.js';

const userKey = randomKey();
const context: FileContext = { sourceServer: 'server-a', user: 'alice', share: 'backup', relPath: 'films/long.mkv' };

function stored(plaintext: Buffer) {
  const ciphertext = encryptBuffer(userKey, fileInfo(context), plaintext);
  const entry: ManifestFile = { size: plaintext.length, mtimeMs: 0, sha256: sha256Hex(plaintext), ctSha256: sha256Hex(ciphertext) };
  return { ciphertext, entry };
}

/** A peer handing back `bytes` in small pieces, as a network would. */
function peerHolding(bytes: Buffer | Error) {
  return {
    requested: [] as string[],
    async getFile(_user: string, _share: string, storedPath: string) {
      this.requested.push(storedPath);
      if (bytes instanceof Error) throw bytes;
      const pieces = [];
      for (let at = 0; at < bytes.length; at += 64 * 1024) pieces.push(bytes.subarray(at, at + 64 * 1024));
      return Readable.from(pieces, { objectMode: false });
    },
  };
}

/** Reads everything, noting how many bytes arrived before the end or the error. */
async function drain(stream: Readable): Promise<{ received: number; data: Buffer; error?: unknown }> {
  const pieces: Buffer[] = [];
  try {
    for await (const piece of stream) pieces.push(piece as Buffer);
    return { received: Buffer.concat(pieces).length, data: Buffer.concat(pieces) };
  } catch (error) {
    return { received: Buffer.concat(pieces).length, data: Buffer.concat(pieces), error };
  }
}

const failedWith = (code: string, pattern?: RegExp) => (error: unknown) =>
  error instanceof AnemoneError && error.code === code && error.message.includes(context.relPath) && (!pattern || pattern.test(error.message));

describe('a file read back from a peer', () => {
  it('is the plaintext when everything matches, asked for under its stored name', async () => {
    const plaintext = Buffer.from(Array.from({ length: 2.5 * CHUNK_SIZE }, (_, index) => (index * 7) % 256));
    const { ciphertext, entry } = stored(plaintext);
    const peer = peerHolding(ciphertext);
    const result = await drain(await openVerifiedFile({ client: peer, userKey, context, entry }));
    assert.equal(result.error, undefined);
    assert.ok(result.data.equals(plaintext));
    assert.deepEqual(peer.requested, ['films/long.mkv.enc']);
  });

  it('holds back the end of a large file until its SHA-256 matched, then fails: never complete', async () => {
    const { ciphertext, entry } = stored(Buffer.alloc(3 * CHUNK_SIZE, 1));
    const wrong = { ...entry, sha256: sha256Hex(Buffer.from('another file')) };
    const result = await drain(await openVerifiedFile({ client: peerHolding(ciphertext), userKey, context, entry: wrong }));
    assert.ok(failedWith('RESTORE_VERIFY_FAILED', /SHA-256/)(result.error));
    assert.ok(result.received < entry.size, `${result.received} of ${entry.size} bytes were released`);
  });

  it('releases nothing of a one-chunk file before it verified', async () => {
    const { ciphertext, entry } = stored(Buffer.alloc(CHUNK_SIZE, 2));
    const wrong = { ...entry, sha256: sha256Hex(Buffer.from('another file')) };
    const result = await drain(await openVerifiedFile({ client: peerHolding(ciphertext), userKey, context, entry: wrong }));
    assert.ok(failedWith('RESTORE_VERIFY_FAILED')(result.error));
    assert.equal(result.received, 0);
  });

  it('names a changed ciphertext "altered on the peer", even when every chunk authenticates', async () => {
    const { entry } = stored(Buffer.from('the original'));
    const other = stored(Buffer.from('the impostor')).ciphertext;
    const result = await drain(await openVerifiedFile({ client: peerHolding(other), userKey, context, entry }));
    assert.ok(failedWith('RESTORE_VERIFY_FAILED', /stored bytes differ/)(result.error));
    assert.equal(result.received, 0);
  });

  it('fails on a damaged chunk', async () => {
    const { ciphertext, entry } = stored(Buffer.alloc(2 * CHUNK_SIZE + 10, 3));
    ciphertext[ciphertext.length - 20] = (ciphertext[ciphertext.length - 20] as number) ^ 0xff;
    const result = await drain(await openVerifiedFile({ client: peerHolding(ciphertext), userKey, context, entry }));
    assert.ok(failedWith('RESTORE_VERIFY_FAILED', /authentication/)(result.error));
    assert.ok(result.received < entry.size);
  });

  it('reports a file the peer does not hold as missing, and other peer failures as the peer\'s', async () => {
    const { entry } = stored(Buffer.from('x'));
    await assert.rejects(openVerifiedFile({ client: peerHolding(new PeerError('not-found')), userKey, context, entry }), failedWith('RESTORE_FILE_MISSING'));
    await assert.rejects(
      openVerifiedFile({ client: peerHolding(new PeerError('connection-refused')), userKey, context, entry }),
      (error: unknown) => error instanceof AnemoneError && error.code === 'RESTORE_PEER_FAILED' && error.status === 502,
    );
  });
});
