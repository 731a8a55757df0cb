import type { Writable } from 'node:stream';

/** How many bytes of an upload are gathered before they go to the file in one `writev`. */
export const GATHERED_WRITE_BYTES = 1024 * 1024;

/**
 * Hands an upload's pieces to its file's stream in batches of about 1 MiB,
 * each batch one `writev` of the pieces as they arrived (no copy).
 *
 * A large upload arrives in 16 KiB pieces (one per TLS record), and the disk
 * takes each faster than the network brings the next: written as they came,
 * nearly every piece was a `write` of its own (a trip through libuv's pool
 * and back, and the stream's bookkeeping around it), 64 per MiB. The stream
 * is corked while a batch gathers and uncorked to send it, so it gets one
 * `writev` per batch; one batch may be on its way to disk while the next
 * gathers.
 */
export class GatheredWrites {
  private pieces: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly stream: Writable) {}

  /** Adds `piece`; true when a batch left and the stream asks the caller to wait for its 'drain'. */
  add(piece: Buffer): boolean {
    this.pieces.push(piece);
    this.bytes += piece.length;
    return this.bytes >= GATHERED_WRITE_BYTES ? this.flush() : false;
  }

  /** Sends what has gathered (before the file is closed); true when the caller should wait for 'drain'. */
  flush(): boolean {
    if (this.pieces.length === 0) return false;
    const batchBytes = this.bytes;
    const pieces = this.pieces;
    this.pieces = [];
    this.bytes = 0;
    this.stream.cork();
    for (const piece of pieces) this.stream.write(piece);
    this.stream.uncork();
    // more than this batch still queued: the one before it is not on disk yet
    return this.stream.writableNeedDrain && this.stream.writableLength > batchBytes;
  }
}
