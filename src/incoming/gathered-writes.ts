import { fdatasync } from 'node:fs';
import type { Writable } from 'node:stream';

/** How many bytes of an upload are gathered before they go to the file in one `writev`. */
export const GATHERED_WRITE_BYTES = 1024 * 1024;
/**
 * Bytes handed to the file after which its data is flushed to disk early, in the background. 16 MiB rather than
 * 64: each flush of 64 MiB held the disk ~50–60 ms, long enough to stall the sender's reads on a shared disk
 * (bench/README.md, "Large files: the receiver's early flush every 16 MiB instead of 64").
 */
export const EARLY_SYNC_BYTES = 16 * 1024 * 1024;

/** `fs.fdatasync`'s shape. */
type DataSync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

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
 *
 * Every EARLY_SYNC_BYTES the file's data is also flushed early (an
 * `fdatasync` on libuv's pool, not waited for): the kernel keeps gigabytes
 * of written pages dirty in memory, so without it a large file's fsync at
 * its end wrote the whole file while the transfer stood still (on the
 * bench's 4 × 512 MiB, ~0.7 s at each file's end with the machine idle,
 * bench/README.md). The fsync before an offset is reported or a file is
 * renamed is unchanged; this only starts the disk's work sooner. A failed
 * early flush fails the file: Linux reports a lost write to one fsync only.
 */
export class GatheredWrites {
  private pieces: Buffer[] = [];
  private bytes = 0;
  private unsynced = 0;
  private syncing: Promise<void> | undefined;

  private readonly earlySyncBytes: number;
  private readonly sync: DataSync;

  /** `earlySyncBytes` and `sync` are for tests. */
  constructor(
    private readonly stream: Writable,
    options: { earlySyncBytes?: number; sync?: DataSync } = {},
  ) {
    this.earlySyncBytes = options.earlySyncBytes ?? EARLY_SYNC_BYTES;
    this.sync = options.sync ?? fdatasync;
  }

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
    this.unsynced += batchBytes;
    if (this.unsynced >= this.earlySyncBytes && this.syncing === undefined) this.syncEarly();
    // more than this batch still queued: the one before it is not on disk yet
    return this.stream.writableNeedDrain && this.stream.writableLength > batchBytes;
  }

  /** Resolves once no early flush is running: the file is closed only then, never under one. */
  settled(): Promise<void> {
    return this.syncing ?? Promise.resolve();
  }

  private syncEarly(): void {
    // a file's stream (fs.WriteStream) has its descriptor once open; another stream has nothing to flush
    const fd = (this.stream as { fd?: unknown }).fd;
    if (typeof fd !== 'number' || this.stream.destroyed) return;
    this.unsynced = 0;
    this.syncing = new Promise((resolve) => {
      this.sync(fd, (error) => {
        this.syncing = undefined;
        if (error && !this.stream.destroyed) this.stream.destroy(error);
        resolve();
      });
    });
  }
}
