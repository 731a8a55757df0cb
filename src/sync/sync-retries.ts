/**
 * Automatic retries of a failed scheduled run, per share and peer: a peer
 * that was down at 02:00 gets the run again 5, 15 and 60 minutes later
 * instead of waiting for tomorrow's slot.
 */

/** Waits before retry 1, 2 and 3: after that, the next slot. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [5 * 60_000, 15 * 60_000, 60 * 60_000];

/** setTimeout and clearTimeout, injectable so a test runs the backoff in milliseconds. */
export interface RetryTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RetryOptions {
  /** The wait before each retry; its length is the number of retries. */
  delaysMs?: readonly number[];
  timers?: RetryTimers;
}

/**
 * Failures that can go away by themselves: the peer down, unreachable,
 * slow, busy, or the link cut. Everything else needs a person (a wrong
 * password, a changed certificate, a missing share, a held mass deletion or
 * mass rewrite, a full disk on the peer) and waits for the next slot: retrying would only
 * repeat the same failure row three times. An interrupted run (a paused
 * upload window, a stop) is not a failure and is not retried either.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'PEER_CONNECTION_REFUSED',
  'PEER_UNREACHABLE',
  'PEER_TIMEOUT',
  'PEER_NAME_NOT_FOUND',
  'PEER_CONNECTION_LOST',
  'PEER_REQUEST_ABORTED',
  'PEER_RATE_LIMITED',
  // the peer's disk or bucket failed (after the peer's own retries): an outage that usually passes, like a link
  'PEER_STORAGE_UNAVAILABLE',
  'SESSION_INVALID',
  'SYNC_TIMEOUT',
  // damaged in transit: the next attempt sends it again
  'HASH_MISMATCH',
  // the peer lost the share mid-run (twice, since a run starts over once): the next attempt sends it whole
  'BACKUP_RESET_ON_PEER',
]);

export function isRetryable(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

const realTimers: RetryTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms) as unknown as { unref?: () => void };
    // a pending retry must not keep a process alive on its own
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** At most one pending retry per share and peer; a newer run of the pair, or the peer going away, cancels it. */
export class SyncRetries {
  readonly delaysMs: readonly number[];
  private readonly timers: RetryTimers;
  private readonly pending = new Map<string, { peerId: number; handle: unknown }>();

  constructor(options: RetryOptions = {}) {
    this.delaysMs = options.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.timers = options.timers ?? realTimers;
  }

  /** The retries after the first run: `attempt` 2 is "retry 1 of maxRetries". */
  get maxRetries(): number {
    return this.delaysMs.length;
  }

  /**
   * Arms the retry after failed attempt `attempt` (1 = the scheduled run),
   * replacing any pending one of the pair. False when no retry is left.
   */
  schedule(shareId: number, peerId: number, attempt: number, run: () => void): boolean {
    const wait = this.delaysMs[attempt - 1];
    if (wait === undefined) return false;
    this.cancel(shareId, peerId);
    const key = pairKey(shareId, peerId);
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(key);
      run();
    }, wait);
    this.pending.set(key, { peerId, handle });
    return true;
  }

  has(shareId: number, peerId: number): boolean {
    return this.pending.has(pairKey(shareId, peerId));
  }

  cancel(shareId: number, peerId: number): void {
    const key = pairKey(shareId, peerId);
    const entry = this.pending.get(key);
    if (!entry) return;
    this.timers.clearTimeout(entry.handle);
    this.pending.delete(key);
  }

  cancelPeer(peerId: number): void {
    for (const [key, entry] of this.pending) {
      if (entry.peerId !== peerId) continue;
      this.timers.clearTimeout(entry.handle);
      this.pending.delete(key);
    }
  }

  cancelAll(): void {
    for (const entry of this.pending.values()) this.timers.clearTimeout(entry.handle);
    this.pending.clear();
  }
}

function pairKey(shareId: number, peerId: number): string {
  return `${shareId}:${peerId}`;
}
