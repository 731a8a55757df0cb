/**
 * Reads of the next small files started ahead through libuv's pool, for the
 * sealing thread. Its own reads are synchronous, one file after the other:
 * with the file's pages not in memory (a first sync after a reboot, or of
 * files written long ago) each waited on the disk, and the disk served one
 * 4 KiB read at a time (on the bench's 2-core machines a cold file took
 * ~100–400 µs against ~35 µs warm, most of the small set's wall time,
 * bench/README.md "Small files: the sealing thread's reads started ahead").
 * A read started here brings the file's first pages into the page cache
 * while the thread seals the files before it; the thread's own read then
 * finds them there. What is read here is never used: it lands in a scratch
 * buffer all of them share.
 *
 * The descriptor is the thread's, opened and checked as for its own read
 * (openShareFileSync), so nothing is opened that the thread would not
 * open; it is closed once both are done with it, never while the pool may
 * still read it.
 */
import { closeSync, read } from 'node:fs';

/** Bytes read ahead of each file: the kernel reads a small file's first pages whole, and a larger one's rest is read by the thread. */
const AHEAD_BYTES = 64 * 1024;

/** A file's descriptor with a read ahead on it. */
export interface FileAhead {
  readonly fd: number;
  /** The read ahead completed (or there was nothing to read). */
  read: boolean;
  /** The thread is done with the descriptor. */
  released: boolean;
}

export class ReadAhead {
  private readonly scratch = Buffer.allocUnsafe(AHEAD_BYTES);

  /** Starts reading the first `size` bytes of `fd` (at most AHEAD_BYTES) through the pool. */
  start(fd: number, size: number): FileAhead {
    const ahead: FileAhead = { fd, read: size === 0, released: false };
    if (size > 0) {
      // an error here (EIO…) is the thread's own read's to report
      read(fd, this.scratch, 0, Math.min(size, AHEAD_BYTES), 0, () => {
        ahead.read = true;
        if (ahead.released) closeSync(fd);
      });
    }
    return ahead;
  }

  /** The thread is done with the file: its descriptor is closed now, or when the read ahead on it completes. */
  release(ahead: FileAhead): void {
    ahead.released = true;
    if (ahead.read) closeSync(ahead.fd);
  }
}
