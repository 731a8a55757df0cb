/**
 * Counts password failures per client address in a sliding window: after
 * `maxFailures` within `windowMs` the address must wait until the oldest of
 * them leaves the window. Every address is counted on its own, so one
 * address's success or failures never change another's.
 */
export interface FailureLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Addresses remembered at most; the stalest are forgotten first, so memory stays bounded. */
  maxAddresses?: number;
  now?: () => number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(options: FailureLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds `address` must wait before trying again, or 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const recent = this.recent(address);
    if (recent.length < this.maxFailures) return 0;
    const oldest = recent[recent.length - this.maxFailures] as number;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    // re-inserted last: Map order then runs from the stalest address to the freshest
    this.failures.delete(address);
    this.failures.set(address, recent.slice(-this.maxFailures));
    while (this.failures.size > this.maxAddresses) {
      const stalest = this.failures.keys().next().value as string;
      this.failures.delete(stalest);
    }
  }

  /** Forgets `address`'s failures (after it authenticated); other addresses keep theirs. */
  reset(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    const kept = (this.failures.get(address) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(address);
    return kept;
  }
}
