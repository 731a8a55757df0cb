import fs from 'node:fs';
import { alignedBuffer, DIRECT_IO_ALIGNMENT, openDirect } from '../util/direct-io.js';

/** The bytes of an upload copied into one aligned block; a direct write takes every full block there is. */
export const DIRECT_WRITE_BLOCK = 1024 * 1024;
/** Blocks per upload: one write on its way, the others filling meanwhile (see DirectWrites). */
export const DIRECT_WRITE_BLOCKS = 4;
/** Uploads with fewer bytes still to come are written the ordinary way: the blocks and a descriptor are not worth it. */
export const DIRECT_WRITE_MIN_BYTES = 4 * DIRECT_WRITE_BLOCK;

/** `fs.writev` at a position, resolving with the bytes written (the seam the tests record). */
export type WriteAt = (fd: number, buffers: Buffer[], position: number) => Promise<number>;

const writeAt: WriteAt = (fd, buffers, position) =>
  new Promise((resolve, reject) => {
    fs.writev(fd, buffers, position, (error, written) => (error ? reject(error) : resolve(written)));
  });

/**
 * The aligned memory of direct writes (DIRECT_WRITE_BLOCKS an upload), kept for the
 * next upload once one is done: each is a WebAssembly memory, and the
 * collector frees one only in a full collection (it outlives the young
 * generation while its upload runs), so a memory made per upload stayed
 * resident long after it — B's peak on the large set rose by ~10 MB. Kept:
 * at most `keep`, as many as uploads usually run at once.
 */
export class DirectWriteMemory {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep = 2) {}

  /** A page-aligned buffer of DIRECT_WRITE_BLOCKS blocks, or undefined where none can be had (see alignedBuffer). */
  take(): Buffer | undefined {
    return this.free.pop() ?? alignedBuffer(DIRECT_WRITE_BLOCKS * DIRECT_WRITE_BLOCK);
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
 * The body's 16 KiB pieces are copied into a ring of page-aligned 1 MiB
 * blocks (a direct write needs an aligned buffer, position and length). A
 * direct write waits for the disk, and the body comes in bursts (what the
 * socket holds arrives at once): so while one write is on its way the next
 * blocks fill, and the next write takes every full block in one `writev`;
 * a piece waits (the disk's backpressure) only when every block is full.
 * One write at a time, in order: the file never has a hole, whatever moment
 * a crash picks. What cannot be aligned — the bytes up to the first 4 KiB
 * boundary of a resumed upload (which continues at any byte), and the last
 * bytes under 4 KiB — is written through the ordinary descriptor, and so is
 * everything once the file system refuses a direct write (EINVAL).
 *
 * Nothing here flushes: the direct writes bypass the page cache, not the
 * disk's own cache nor the inode's size, so the owner's fsync before an
 * offset is answered or a file renamed stays exactly where it was.
 */
export class DirectWrites {
  private readonly blocks: Buffer[];
  /** Bytes of each block that are to be written (a full block's; the head's may be fewer). */
  private readonly lengths: number[];
  /** The ring: `first` is the oldest block not yet written, `full` how many from it are full (being written or waiting to be). */
  private first = 0;
  private full = 0;
  /** How much of the block being filled is, and how much of it may be before it is full. */
  private filled = 0;
  private limit: number;
  /** Where the block `first` goes in the file. */
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
    this.blocks = Array.from({ length: DIRECT_WRITE_BLOCKS }, (_, index) => memory.subarray(index * DIRECT_WRITE_BLOCK, (index + 1) * DIRECT_WRITE_BLOCK));
    this.lengths = this.blocks.map(() => DIRECT_WRITE_BLOCK);
    this.position = position;
    // an unaligned start: the bytes up to the next boundary fill a block of their own, written the ordinary way
    const head = (DIRECT_IO_ALIGNMENT - (position % DIRECT_IO_ALIGNMENT)) % DIRECT_IO_ALIGNMENT;
    this.limit = head || DIRECT_WRITE_BLOCK;
  }

  /**
   * Direct writes to the file `fd` is open on (for writing, at its end), from
   * byte `position`, in blocks taken from `memory`; undefined where O_DIRECT
   * or an aligned buffer cannot be had, for the caller to write the ordinary
   * way.
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

  /** The first write's failure, if one failed (the next `add` or `finish` throws it). */
  get failure(): unknown {
    return this.failed;
  }

  /** Copies `piece` in; a promise when it must wait for a write (the caller pauses the body until it settles). */
  add(piece: Buffer): Promise<void> | undefined {
    this.throwIfFailed();
    if (this.closed) throw new Error("The upload's direct writes are closed");
    let from = 0;
    while (from < piece.length) {
      if (this.full === DIRECT_WRITE_BLOCKS) {
        // every block full, one of them on its way: the rest waits until that write frees its blocks
        const rest = piece.subarray(from);
        return (this.writing as Promise<void>).then(() => this.add(rest));
      }
      const filling = (this.first + this.full) % DIRECT_WRITE_BLOCKS;
      const copied = piece.copy(this.blocks[filling] as Buffer, this.filled, from, Math.min(piece.length, from + this.limit - this.filled));
      from += copied;
      this.filled += copied;
      if (this.filled === this.limit) this.blockFull(this.filled);
    }
    return undefined;
  }

  /** Writes what is gathered and waits for every write; rejects with the first failure. */
  async finish(): Promise<void> {
    await this.settled();
    this.throwIfFailed();
    const filling = this.blocks[(this.first + this.full) % DIRECT_WRITE_BLOCKS] as Buffer;
    const filled = this.filled;
    const aligned = filled - (filled % DIRECT_IO_ALIGNMENT);
    if (aligned > 0) {
      this.blockFull(aligned);
      await this.settled();
    }
    if (filled > aligned) {
      // after the aligned part of the block, from the same block: its last bytes, the ordinary way
      this.filled = 0;
      this.writing = this.writeDone(this.writeOrdinary([filling.subarray(aligned, filled)], this.position), 0, filled - aligned);
      await this.settled();
    }
    this.throwIfFailed();
  }

  /** Resolves once no write is on its way (the descriptors are closed only then). */
  async settled(): Promise<void> {
    // a write that ends starts the next one over the blocks filled meanwhile: waited for too
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

  /** The block being filled holds `length` bytes to write: the next one fills, and a write starts unless one is on its way. */
  private blockFull(length: number): void {
    this.lengths[(this.first + this.full) % DIRECT_WRITE_BLOCKS] = length;
    this.full += 1;
    this.filled = 0;
    this.limit = DIRECT_WRITE_BLOCK;
    if (!this.writing) this.writeFull();
  }

  /** Writes every full block in one call, in order; once done, the blocks filled meanwhile. */
  private writeFull(): void {
    const buffers: Buffer[] = [];
    let aligned = this.position % DIRECT_IO_ALIGNMENT === 0;
    for (let i = 0; i < this.full; i += 1) {
      const index = (this.first + i) % DIRECT_WRITE_BLOCKS;
      const length = this.lengths[index] as number;
      buffers.push((this.blocks[index] as Buffer).subarray(0, length));
      aligned &&= length % DIRECT_IO_ALIGNMENT === 0;
      // the ring wraps here: the next write starts at its first block (one call needs no more than the order kept)
      if (index === DIRECT_WRITE_BLOCKS - 1) break;
    }
    const bytes = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    const written = aligned ? this.writeDirect(buffers, this.position) : this.writeOrdinary(buffers, this.position);
    this.writing = this.writeDone(written, buffers.length, bytes);
  }

  private writeDone(written: Promise<void>, blocks: number, bytes: number): Promise<void> {
    return written.then(
      () => {
        this.first = (this.first + blocks) % DIRECT_WRITE_BLOCKS;
        this.full -= blocks;
        this.position += bytes;
        this.writing = undefined;
        if (this.full > 0) this.writeFull();
      },
      (error: unknown) => {
        this.failed ??= error;
        this.writing = undefined;
      },
    );
  }

  private async writeDirect(buffers: Buffer[], position: number): Promise<void> {
    let done = 0;
    if (this.directFd !== undefined) {
      try {
        done = await this.write(this.directFd, buffers, position);
      } catch (error) {
        // a file system that takes O_DIRECT at the open but not this write: the rest of the file the ordinary way
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
        this.closeDirect();
      }
    }
    // a short direct write goes on at an unaligned offset: the ordinary way
    await this.writeOrdinary(buffers, position, done);
  }

  /** Writes `buffers` from byte `skip` of them on, through the ordinary descriptor. */
  private async writeOrdinary(buffers: Buffer[], position: number, skip = 0): Promise<void> {
    let at = position;
    for (const buffer of buffers) {
      let done = Math.min(skip, buffer.length);
      skip -= done;
      while (done < buffer.length) done += await this.write(this.fd, [buffer.subarray(done)], at + done);
      at += buffer.length;
    }
  }

  private closeDirect(): void {
    if (this.directFd !== undefined) fs.close(this.directFd, () => undefined);
    this.directFd = undefined;
  }

  private throwIfFailed(): void {
    if (this.failed !== undefined) throw this.failed;
  }
}
