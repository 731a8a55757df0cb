import fs from 'node:fs';
import { alignedBuffer, DIRECT_IO_ALIGNMENT, openDirect } from '../util/direct-io.js';

/** The bytes of an upload copied into one aligned block before it goes to the disk in one direct write. */
export const DIRECT_WRITE_BLOCK = 1024 * 1024;
/** Uploads with fewer bytes still to come are written the ordinary way: two blocks and a descriptor are not worth it. */
export const DIRECT_WRITE_MIN_BYTES = 4 * DIRECT_WRITE_BLOCK;

/** `fs.write` at a position, resolving with the bytes written (the seam the tests record). */
export type WriteAt = (fd: number, buffer: Buffer, position: number) => Promise<number>;

const writeAt: WriteAt = (fd, buffer, position) =>
  new Promise((resolve, reject) => {
    fs.write(fd, buffer, 0, buffer.length, position, (error, written) => (error ? reject(error) : resolve(written)));
  });

/**
 * The aligned memory of direct writes (two blocks an upload), kept for the
 * next upload once one is done: each is a WebAssembly memory, and the
 * collector frees one only in a full collection (it outlives the young
 * generation while its upload runs), so a memory made per upload stayed
 * resident long after it — B's peak on the large set rose by ~10 MB. Kept:
 * at most `keep`, as many as uploads usually run at once.
 */
export class DirectWriteMemory {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep = 2) {}

  /** A page-aligned buffer of two blocks, or undefined where none can be had (see alignedBuffer). */
  take(): Buffer | undefined {
    return this.free.pop() ?? alignedBuffer(2 * DIRECT_WRITE_BLOCK);
  }

  /** Takes `memory` back once no write uses it any more. */
  give(memory: Buffer): void {
    if (this.free.length < this.keep) this.free.push(memory);
  }
}

/**
 * An upload's bytes written past the page cache (O_DIRECT) from `position`
 * on: the kernel's copy of each page into the cache was 28 % of the
 * receiver's CPU on a large first sync (bench/README.md, "Large files on the
 * receiver written past the page cache").
 *
 * The body's 16 KiB pieces are copied into one of two page-aligned blocks of
 * 1 MiB (a direct write needs an aligned buffer, position and length); a full
 * block goes to the disk in one write while the other fills, and a piece that
 * finds both full waits for the write (the disk's backpressure). One write at
 * a time, in order: the file never has a hole, whatever moment a crash picks.
 * What cannot be aligned — the bytes up to the first 4 KiB boundary of a
 * resumed upload (which continues at any byte), and the last bytes under
 * 4 KiB — is written through the ordinary descriptor, and so is everything
 * once the file system refuses a direct write (EINVAL).
 *
 * Nothing here flushes: the direct writes bypass the page cache, not the
 * disk's own cache nor the inode's size, so the owner's fsync before an
 * offset is answered or a file renamed stays exactly where it was.
 */
export class DirectWrites {
  /** The block being filled (the other may be on its way), how much of it is, and how much of it may be before it is written. */
  private current: Buffer;
  private other: Buffer;
  private filled = 0;
  private limit: number;
  /** Where the block being filled goes in the file. */
  private position: number;
  /** The one write on its way: it never rejects, a failure is kept in `failed`. */
  private writing: Promise<void> | undefined;
  private failed: unknown;
  private closed = false;

  private constructor(
    private readonly fd: number,
    private directFd: number | undefined,
    private readonly memory: Buffer,
    private readonly owner: DirectWriteMemory,
    position: number,
    private readonly write: WriteAt,
  ) {
    this.current = memory.subarray(0, DIRECT_WRITE_BLOCK);
    this.other = memory.subarray(DIRECT_WRITE_BLOCK, 2 * DIRECT_WRITE_BLOCK);
    this.position = position;
    // an unaligned start: the bytes up to the next boundary fill a block of their own, written the ordinary way
    const head = (DIRECT_IO_ALIGNMENT - (position % DIRECT_IO_ALIGNMENT)) % DIRECT_IO_ALIGNMENT;
    this.limit = head || DIRECT_WRITE_BLOCK;
  }

  /**
   * Direct writes to the file `fd` is open on (for writing, at its end), from
   * byte `position`; undefined where O_DIRECT or an aligned buffer cannot be
   * had, for the caller to write the ordinary way.
   */
  static async open(fd: number, position: number, memory: DirectWriteMemory, options: { write?: WriteAt } = {}): Promise<DirectWrites | undefined> {
    const blocks = memory.take();
    if (!blocks) return undefined;
    const directFd = await openDirect(fd, fs.constants.O_WRONLY);
    if (directFd === undefined) {
      memory.give(blocks);
      return undefined;
    }
    return new DirectWrites(fd, directFd, blocks, memory, position, options.write ?? writeAt);
  }

  /** Copies `piece` in; a promise when it must wait for a write (the caller pauses the body until it settles). */
  add(piece: Buffer): Promise<void> | undefined {
    this.throwIfFailed();
    if (this.closed) throw new Error('The upload\'s direct writes are closed');
    let from = 0;
    while (from < piece.length) {
      const copied = piece.copy(this.current, this.filled, from, Math.min(piece.length, from + this.limit - this.filled));
      from += copied;
      this.filled += copied;
      if (this.filled < this.limit) return undefined;
      if (this.writing) {
        const rest = piece.subarray(from);
        return this.writing.then(() => {
          this.throwIfFailed();
          this.send(this.filled);
          return rest.length > 0 ? this.add(rest) : undefined;
        });
      }
      this.send(this.filled);
    }
    return undefined;
  }

  /** The first write's failure, if one failed (the next `add` or `finish` throws it). */
  get failure(): unknown {
    return this.failed;
  }

  /** Writes what is gathered and waits for every write; rejects with the first failure. */
  async finish(): Promise<void> {
    await this.settled();
    this.throwIfFailed();
    const aligned = this.filled - (this.filled % DIRECT_IO_ALIGNMENT);
    const tail = this.current.subarray(aligned, this.filled);
    if (aligned > 0) {
      this.send(aligned);
      await this.settled();
    }
    if (tail.length > 0) {
      // the block was sent: the tail, still in it, goes after the aligned part, the ordinary way
      this.writing = this.writeAll(tail, this.position, false);
      this.position += tail.length;
      this.filled = 0;
      await this.settled();
    }
    this.throwIfFailed();
  }

  /** Resolves once no write is on its way (the descriptors are closed only then). */
  async settled(): Promise<void> {
    // a piece waiting for the write sends its block as that write ends: waited for too
    while (this.writing) await this.writing;
  }

  /** Closes the direct descriptor and hands the blocks back, once no write is on its way; the ordinary descriptor is its owner's. */
  async close(): Promise<void> {
    await this.settled();
    if (this.closed) return;
    this.closed = true;
    this.closeDirect();
    this.owner.give(this.memory);
  }

  private send(length: number): void {
    const block = this.current.subarray(0, length);
    const position = this.position;
    this.position += length;
    [this.current, this.other] = [this.other, this.current];
    this.filled = 0;
    this.limit = DIRECT_WRITE_BLOCK;
    const aligned = position % DIRECT_IO_ALIGNMENT === 0 && length % DIRECT_IO_ALIGNMENT === 0;
    this.writing = this.writeAll(block, position, aligned);
  }

  private writeAll(block: Buffer, position: number, aligned: boolean): Promise<void> {
    return this.writeBlock(block, position, aligned).then(
      () => {
        this.writing = undefined;
      },
      (error: unknown) => {
        this.failed ??= error;
        this.writing = undefined;
      },
    );
  }

  private async writeBlock(block: Buffer, position: number, aligned: boolean): Promise<void> {
    let done = 0;
    if (aligned && this.directFd !== undefined) {
      try {
        done = await this.write(this.directFd, block, position);
      } catch (error) {
        // a file system that takes O_DIRECT at the open but not this write: the rest of the file the ordinary way
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
        this.closeDirect();
      }
    }
    // a short direct write goes on at an unaligned offset: the ordinary way
    while (done < block.length) done += await this.write(this.fd, block.subarray(done), position + done);
  }

  private closeDirect(): void {
    if (this.directFd !== undefined) fs.close(this.directFd, () => undefined);
    this.directFd = undefined;
  }

  private throwIfFailed(): void {
    if (this.failed !== undefined) throw this.failed;
  }
}
