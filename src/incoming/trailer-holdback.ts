import { TRAILER_LENGTH } from '../protocol/v1/index.js';

/**
 * The receiving half of a hash trailer (protocol/v1/hash-trailer.ts): a
 * streamed upload ends with the SHA-256 of the bytes before it. This passes
 * every byte on except the last 32, which it keeps — at most 32 bytes held,
 * and no copy of the chunks it passes.
 */
export class TrailerHoldback {
  private held: Buffer = Buffer.alloc(0);

  /** The bytes of `chunk` (with what was held before) that are certainly file content. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length >= TRAILER_LENGTH) {
      const content = [this.held, chunk.subarray(0, chunk.length - TRAILER_LENGTH)].filter((part) => part.length > 0);
      this.held = Buffer.from(chunk.subarray(chunk.length - TRAILER_LENGTH));
      return content;
    }
    const joined = Buffer.concat([this.held, chunk]);
    const passLength = Math.max(0, joined.length - TRAILER_LENGTH);
    this.held = joined.subarray(passLength);
    return passLength > 0 ? [joined.subarray(0, passLength)] : [];
  }

  /** The announced SHA-256 (hex), once the body ended; undefined when the body was shorter than a trailer. */
  trailerHex(): string | undefined {
    return this.held.length === TRAILER_LENGTH ? this.held.toString('hex') : undefined;
  }
}
