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
  /** The body's bytes passed so far, the trailer not counted. */
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
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

/**
 * Receiver: passes every byte on except the last 32, which it keeps as the
 * announced hash, with no copy of the reads it passes. A body arrives in
 * many reads (a large upload: one per TLS record of 16 KiB), and each read
 * passes on whole, one read late: cutting each read in two around the 32
 * bytes held made twice the hash updates and writes per read. `end()` gives
 * what the last read holds beyond the trailer once the body ended; a cut
 * body's last 32 bytes are held back all the same (they could be the
 * trailer). A plain object rather than a stream: the store feeds it as it
 * writes.
 */
export class WholeReadHoldback {
  /** The last read, not yet passed on: its end may be the trailer. */
  private held: Buffer = Buffer.alloc(0);

  /** The reads (or joined pieces) that are certainly file content now that `chunk` arrived. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length >= TRAILER_LENGTH) {
      const passed = this.held;
      this.held = chunk;
      return passed.length > 0 ? [passed] : [];
    }
    // a read shorter than the trailer: the held bytes and it, less the last 32
    const joined = Buffer.concat([this.held, chunk]);
    const passLength = Math.max(0, joined.length - TRAILER_LENGTH);
    this.held = joined.subarray(passLength);
    return passLength > 0 ? [joined.subarray(0, passLength)] : [];
  }

  /** Once no more reads come: the held read but its last 32 bytes. */
  end(): Buffer[] {
    const passLength = Math.max(0, this.held.length - TRAILER_LENGTH);
    const passed = this.held.subarray(0, passLength);
    this.held = this.held.subarray(passLength);
    return passLength > 0 ? [passed] : [];
  }

  /** The announced SHA-256 (hex), after `end()`; undefined when the body was shorter than a trailer. */
  trailerHex(): string | undefined {
    return this.held.length === TRAILER_LENGTH ? this.held.toString('hex') : undefined;
  }
}
