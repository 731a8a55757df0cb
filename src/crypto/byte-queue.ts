/**
 * A FIFO of buffers that hands out exact byte counts as slices of what was
 * queued, so assembling a chunk never copies.
 */
const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  private buffers: Buffer[] = [];
  private head = 0;
  private queuedBytes = 0;

  get length(): number {
    return this.queuedBytes;
  }

  push(buffer: Buffer): void {
    if (buffer.length === 0) return;
    this.buffers.push(buffer);
    this.queuedBytes += buffer.length;
  }

  /** Removes the first `byteCount` bytes; the caller checks `length` first. */
  take(byteCount: number): Buffer[] {
    if (byteCount > this.queuedBytes) {
      throw new RangeError(`ByteQueue.take(${byteCount}) with only ${this.queuedBytes} bytes queued`);
    }
    const pieces: Buffer[] = [];
    let remaining = byteCount;
    while (remaining > 0) {
      const first = this.buffers[this.head] as Buffer;
      if (first.length <= remaining) {
        pieces.push(first);
        // let go of the consumed buffer now: the queue is rarely empty while a file streams, so waiting
        // for compact() would pin every buffer read so far (a whole large file)
        this.buffers[this.head] = EMPTY;
        this.head += 1;
        remaining -= first.length;
      } else {
        pieces.push(first.subarray(0, remaining));
        this.buffers[this.head] = first.subarray(remaining);
        remaining = 0;
      }
    }
    this.queuedBytes -= byteCount;
    this.compact();
    return pieces;
  }

  /** Drops consumed entries so many tiny writes cannot grow the array without bound. */
  private compact(): void {
    if (this.head === this.buffers.length) {
      this.buffers = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.buffers.length) {
      this.buffers = this.buffers.slice(this.head);
      this.head = 0;
    }
  }
}
