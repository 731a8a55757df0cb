import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A streamed upload cannot announce its ciphertext hash in a header: the hash
 * is known only once the last byte is encrypted. So such a body ends with a
 * 32-byte trailer holding the SHA-256 of everything before it, and the
 * header `x-anemone-ct-sha256: trailer` says so. The receiver checks the
 * trailer before it keeps the file: one pass over the data on each side.
 */
export const CT_SHA256_TRAILER = 'trailer';
export const TRAILER_LENGTH = 32;

/** Sender: passes the body through and appends its SHA-256. */
export class AppendSha256Trailer extends Transform {
  private readonly hash = createHash('sha256');
  private digest: Buffer | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest();
    callback(null, this.digest);
  }

  /** The SHA-256 (hex) of the body, once it has all passed. */
  sha256Hex(): string {
    if (!this.digest) throw new Error('the body has not been fully sent');
    return this.digest.toString('hex');
  }
}

/** Receiver: passes the body through without its last 32 bytes, which it keeps as the announced hash. */
export class SplitSha256Trailer extends Transform {
  private held: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const joined = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const passLength = Math.max(0, joined.length - TRAILER_LENGTH);
    this.held = Buffer.from(joined.subarray(passLength));
    callback(null, passLength > 0 ? joined.subarray(0, passLength) : undefined);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.held.length === TRAILER_LENGTH ? null : new Error('the upload ended before its hash trailer'));
  }

  /** The hash the sender announced (hex), once the body has ended. */
  announcedSha256Hex(): string {
    return this.held.toString('hex');
  }
}
