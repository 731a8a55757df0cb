/**
 * One backed-up file read back from a peer as plaintext that can be trusted:
 * every chunk's tag verified before its bytes are released (the decrypt
 * stream does that), and the end of the file held back until the plaintext
 * SHA-256, the size and the stored ciphertext's SHA-256 all matched the
 * manifest. A consumer that saw the stream end normally got the file exactly
 * as it was backed up; any mismatch ends the stream with an error instead.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { CHUNK_SIZE, createDecryptStream, fileInfo, type FileContext } from '../crypto/index.js';
import type { ManifestFile } from '../manifest/manifest.js';
import { storedNameFor } from '../manifest/stored-names.js';
import type { PeerClient } from '../peer-client/index.js';
import { restoreFailure, verifyFailed } from './restore-errors.js';

/**
 * Plaintext held back until the file verified: at least the last piece, and
 * up to one chunk. So a client never receives a complete-looking file before
 * the check, and a file of one chunk (most files) is checked entirely before
 * its first byte leaves — its failure can still be a proper error answer.
 */
const HOLD_BACK_BYTES = CHUNK_SIZE;

export interface VerifiedFileInput {
  client: Pick<PeerClient, 'getFile'>;
  userKey: Buffer;
  context: FileContext;
  entry: ManifestFile;
  signal?: AbortSignal | undefined;
  /** Ask the peer for the object by the manifest's ctSha256 (a snapshot's file may since have been replaced). */
  byCtSha256?: boolean | undefined;
}

/** Opens the stored file on the peer; rejects with an AnemoneError (missing, peer failure), and the stream fails with one. */
export async function openVerifiedFile(input: VerifiedFileInput): Promise<Readable> {
  const { context, entry } = input;
  let ciphertext: Readable;
  try {
    const version = input.byCtSha256 ? { ctSha256: entry.ctSha256 } : {};
    ciphertext = await input.client.getFile(context.user, context.share, storedNameFor(context.relPath), { signal: input.signal, ...version });
  } catch (error) {
    throw restoreFailure(error, context.relPath);
  }
  const stored = new HashTap();
  const decrypt = createDecryptStream(input.userKey, fileInfo(context));
  const verified = new PlaintextCheck(entry, context.relPath, stored);
  const fail = (error: unknown) => verified.destroy(restoreFailure(error, context.relPath) as Error);
  for (const stage of [ciphertext, stored, decrypt]) stage.on('error', fail);
  // a consumer that stops (a browser cancelling) ends the request to the peer too
  verified.on('close', () => {
    for (const stage of [ciphertext, stored, decrypt]) stage.destroy();
  });
  ciphertext.pipe(stored).pipe(decrypt).pipe(verified);
  return verified;
}

/** Hashes and counts the stored bytes on their way to the decryptor. */
class HashTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor() {
    super({ highWaterMark: CHUNK_SIZE });
  }

  override _transform(piece: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(piece);
    this.bytes += piece.length;
    callback(null, piece);
  }

  digestHex(): string {
    return this.hash.digest('hex');
  }
}

class PlaintextCheck extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly entry: ManifestFile,
    private readonly relPath: string,
    private readonly stored: HashTap,
  ) {
    super({ highWaterMark: CHUNK_SIZE });
  }

  override _transform(piece: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += piece.length;
    // checked as it arrives: never pass more bytes than the announced size (the download's content-length)
    if (this.bytes > this.entry.size) {
      callback(verifyFailed(this.relPath, `it decrypts to more than the ${this.entry.size} bytes the manifest gives`));
      return;
    }
    this.hash.update(piece);
    this.held.push(piece);
    this.heldBytes += piece.length;
    while (this.held.length > 1 && this.heldBytes > HOLD_BACK_BYTES) {
      const released = this.held.shift() as Buffer;
      this.heldBytes -= released.length;
      this.push(released);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // the ciphertext hash first: when it differs, "altered on the peer" is the precise diagnosis
    if (this.stored.digestHex() !== this.entry.ctSha256) {
      callback(verifyFailed(this.relPath, "its stored bytes differ from what this server sent: the ciphertext's SHA-256 does not match"));
      return;
    }
    if (this.bytes !== this.entry.size) {
      callback(verifyFailed(this.relPath, `it decrypts to ${this.bytes} bytes, the manifest gives ${this.entry.size}`));
      return;
    }
    if (this.hash.digest('hex') !== this.entry.sha256) {
      callback(verifyFailed(this.relPath, "its plaintext's SHA-256 does not match the manifest"));
      return;
    }
    for (const piece of this.held) this.push(piece);
    this.held = [];
    callback();
  }
}
