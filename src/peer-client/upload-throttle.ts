import { Readable, Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { AnemoneError } from '../errors/catalogue.js';

/** The limit in force at one moment (see peers/upload-limit.ts for the timetable that decides it). */
export type UploadLimit = { kind: 'unlimited' } | { kind: 'paused'; until: Date | null } | { kind: 'limit'; bytesPerSecond: number };

/** Under a limit, upload bodies are let through in pieces of at most this size, so it holds smoothly even for 1 MiB chunks. */
const PIECE_BYTES = 16 * 1024;
/** The bucket holds at most this long a burst at the current rate (and never less than one piece). */
const BURST_SECONDS = 0.25;
/** A long wait is cut into steps this long, so a changed limit (a new timetable window) takes effect soon. */
const MAX_WAIT_MS = 1000;

export interface ThrottleClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: ThrottleClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/**
 * One token bucket per peer, shared by every upload to it (batches and
 * large files in flight together), so the peer's limit is what leaves this
 * server, not what each request may use. Concurrent callers take tokens in
 * turn by going into debt: the later one waits for the earlier one's bytes.
 */
export class UploadThrottle {
  private tokens = 0;
  private refilledAt: number;

  constructor(
    private readonly limitNow: () => UploadLimit,
    private readonly peerName: string,
    private readonly clock: ThrottleClock = realClock,
  ) {
    this.refilledAt = clock.now();
  }

  /** Resolves when `bytes` may go; throws UPLOAD_PAUSED while the peer's timetable pauses uploads. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const limit = this.limitNow();
      if (limit.kind === 'paused') throw pausedError(this.peerName, limit.until);
      if (limit.kind === 'unlimited') {
        this.tokens = 0;
        this.refilledAt = this.clock.now();
        return;
      }
      this.refill(limit.bytesPerSecond);
      if (this.tokens >= 0) {
        this.tokens -= bytes;
        return;
      }
      await this.clock.sleep(Math.min(MAX_WAIT_MS, Math.ceil((-this.tokens / limit.bytesPerSecond) * 1000)));
    }
  }

  /**
   * Takes tokens for at most `wanted` bytes and resolves with how many may go
   * now: all of them when unlimited (a body's chunks then reach the socket
   * whole: cutting 1 MiB into 16 KiB writes cost the sender about a third of
   * its CPU per byte), at most one piece under a limit.
   */
  async grant(wanted: number, signal?: AbortSignal): Promise<number> {
    const bytes = this.limitNow().kind === 'unlimited' ? wanted : Math.min(wanted, PIECE_BYTES);
    await this.take(bytes, signal);
    return bytes;
  }

  /** `body` let through at the peer's pace; a Buffer becomes a stream of pieces. */
  throttled(body: Buffer | Readable, signal?: AbortSignal): Readable {
    const source = Buffer.isBuffer(body) ? Readable.from([body], { objectMode: false }) : body;
    const paced = new PacedStream(this, signal);
    source.on('error', (error) => paced.destroy(error));
    return source.pipe(paced);
  }

  private refill(bytesPerSecond: number): void {
    const now = this.clock.now();
    const capacity = Math.max(PIECE_BYTES, bytesPerSecond * BURST_SECONDS);
    this.tokens = Math.min(capacity, this.tokens + ((now - this.refilledAt) / 1000) * bytesPerSecond);
    this.refilledAt = now;
  }
}

class PacedStream extends Transform {
  constructor(
    private readonly throttle: UploadThrottle,
    private readonly signal: AbortSignal | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pass(chunk).then(() => callback(), callback);
  }

  private async pass(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length; ) {
      const bytes = await this.throttle.grant(chunk.length - offset, this.signal);
      this.push(offset === 0 && bytes === chunk.length ? chunk : chunk.subarray(offset, offset + bytes));
      offset += bytes;
    }
  }
}

function pausedError(peerName: string, until: Date | null): AnemoneError {
  const when = until === null ? 'until its timetable changes' : `until ${until.toLocaleString('en-GB', { weekday: 'short', hour: '2-digit', minute: '2-digit' })}`;
  return new AnemoneError('UPLOAD_PAUSED', { message: `Uploads to ${peerName} are paused by its timetable ${when}` });
}
