import { hash } from 'node:crypto';
import type { BatchItemHeader } from './routes.js';

/**
 * A batch body is a sequence of items, each:
 *   u32be(len(header)) ‖ header (UTF-8 JSON: {path, size, ctSha256}) ‖ `size` bytes of ciphertext
 */
export function encodeBatchItemHead(header: BatchItemHeader): Buffer {
  const json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const head = Buffer.allocUnsafe(4 + jsonBytes);
  writeItemHead(head, 0, json, jsonBytes);
  return head;
}

/** Writes an item's head (the header's length, then its JSON) at `offset`; returns where the item's ciphertext starts. */
function writeItemHead(target: Buffer, offset: number, json: string, jsonBytes: number): number {
  target.writeUInt32BE(jsonBytes, offset);
  target.write(json, offset + 4, 'utf8');
  return offset + 4 + jsonBytes;
}

/** Where tryAppendHashed's digest goes before it is known: as long as a SHA-256 in hex. */
const DIGEST_ROOM = '0'.repeat(64);

/** Header JSON longer than this is refused: a path is at most 4 KiB. */
export const MAX_BATCH_HEADER_BYTES = 8192;

/**
 * Builds a batch body in one buffer, item after item, in the framing above:
 * each item's head and pieces are copied in once, so a batch of a thousand
 * small files costs no buffer per item and no join at the end. The buffer is
 * reused by `reset()` once the body it held is no longer needed.
 */
export class BatchBodyBuilder {
  private readonly buffer: Buffer;
  private length = 0;
  private itemCount = 0;

  readonly capacity: number;

  /** A new buffer of `capacity` bytes, or the given one (a body handed over from another thread, say). */
  constructor(capacityOrBuffer: number | Buffer) {
    this.buffer = typeof capacityOrBuffer === 'number' ? Buffer.allocUnsafe(capacityOrBuffer) : capacityOrBuffer;
    this.capacity = this.buffer.length;
  }

  get bytes(): number {
    return this.length;
  }

  get items(): number {
    return this.itemCount;
  }

  /**
   * Appends an item whose ciphertext is `pieces` (`header.size` bytes in all);
   * returns the item's ciphertext as a view of the body (valid until `reset()`),
   * or undefined, with nothing written, when the item does not fit.
   */
  tryAppend(header: BatchItemHeader, pieces: readonly Buffer[]): Buffer | undefined {
    const json = JSON.stringify(header);
    const jsonBytes = Buffer.byteLength(json, 'utf8');
    const start = this.length;
    if (start + 4 + jsonBytes + header.size > this.capacity) return undefined;
    const bodyStart = writeItemHead(this.buffer, start, json, jsonBytes);
    let at = bodyStart;
    for (const piece of pieces) at += piece.copy(this.buffer, at);
    if (at - bodyStart !== header.size) throw new RangeError(`A batch item announced ${header.size} bytes and gave ${at - bodyStart}`);
    this.length = at;
    this.itemCount += 1;
    return this.buffer.subarray(bodyStart, at);
  }

  /**
   * tryAppend for pieces whose SHA-256 is not known yet: they are copied in
   * first and hashed in one call over the body's bytes, and the digest written
   * into the head's room for it (a hash object fed piece by piece per small
   * file cost more). The same bytes as tryAppend with the header's ctSha256.
   */
  tryAppendHashed(path: string, pieces: readonly Buffer[]): { ciphertext: Buffer; ctSha256: string } | undefined {
    let size = 0;
    for (const piece of pieces) size += piece.length;
    const ciphertext = this.tryAppend({ path, size, ctSha256: DIGEST_ROOM }, pieces);
    if (ciphertext === undefined) return undefined;
    const ctSha256 = hash('sha256', ciphertext, 'hex');
    // the header's JSON ends with the digest's 64 hex digits, a quote and a brace
    this.buffer.write(ctSha256, ciphertext.byteOffset - this.buffer.byteOffset - DIGEST_ROOM.length - 2, 'latin1');
    return { ciphertext, ctSha256 };
  }

  /** The body so far, a view of the builder's buffer (valid until `reset()`). */
  body(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** Empties the builder for the next batch: every view it handed out is overwritten from now on. */
  reset(): void {
    this.length = 0;
    this.itemCount = 0;
  }
}
