import type { Logger } from '../logging/logger.js';
import type { PeerService } from './peer-service.js';

/** Often enough that the overview is right within a minute (issue 17). */
export const PEER_CHECK_INTERVAL_MS = 60 * 1000;
/** A peer offline for long is asked less often, up to this: a friend's server switched off for the holidays costs nothing. */
export const PEER_CHECK_MAX_BACKOFF_MS = 5 * 60 * 1000;
/** Failed checks in a row before the wait starts to grow: a peer that comes back soon is seen within the interval. */
const FAILURES_BEFORE_BACKOFF = 3;

export interface PeerMonitorOptions {
  /** Tests make it short. */
  intervalMs?: number;
  maxBackoffMs?: number;
}

interface PeerCheckState {
  inFlight: boolean;
  dueAt: number;
  failures: number;
}

/**
 * The background health check behind each peer's status and "last seen":
 * a `hello` to every enabled, confirmed peer (PeerService.checkHealth), at
 * most one in flight per peer, less often while it stays offline. Syncs and
 * Test Connection refresh the status too.
 */
export class PeerMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly states = new Map<number, PeerCheckState>();
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly peers: Pick<PeerService, 'list' | 'checkHealth'>,
    private readonly logger: Logger,
    options: PeerMonitorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? PEER_CHECK_INTERVAL_MS;
    this.maxBackoffMs = Math.max(this.intervalMs, options.maxBackoffMs ?? PEER_CHECK_MAX_BACKOFF_MS);
  }

  start(): void {
    // ticks at the interval; each peer is checked when its own wait (longer while offline) is over
    this.timer = setInterval(() => void this.checkDue(), this.intervalMs);
    this.timer.unref();
    void this.checkDue();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checks the peers whose turn it is; resolves when those checks ended. */
  async checkDue(now = performance.now()): Promise<void> {
    const checks: Promise<void>[] = [];
    const watched = new Set<number>();
    for (const peer of this.peers.list()) {
      if (!peer.enabled || !peer.fingerprint) continue;
      watched.add(peer.id);
      const state = this.states.get(peer.id) ?? { inFlight: false, dueAt: 0, failures: 0 };
      this.states.set(peer.id, state);
      if (state.inFlight || state.dueAt > now) continue;
      checks.push(this.check(peer.id, peer.name, state, now));
    }
    for (const id of this.states.keys()) if (!watched.has(id)) this.states.delete(id);
    await Promise.all(checks);
  }

  private async check(peerId: number, peerName: string, state: PeerCheckState, startedAt: number): Promise<void> {
    state.inFlight = true;
    try {
      // a check never outlasts its interval, so at most one is in flight per peer
      const result = await this.peers.checkHealth(peerId, Math.min(this.intervalMs, CHECK_TIMEOUT_MS));
      state.failures = result.ok ? 0 : state.failures + 1;
      if (!result.ok && state.failures === 1) this.logger.info({ peer: peerName, code: result.code }, 'peer check failed');
    } catch (error) {
      state.failures += 1;
      this.logger.warn({ peer: peerName, err: error }, 'peer check could not run');
    } finally {
      state.inFlight = false;
      state.dueAt = startedAt + this.waitAfter(state.failures) - TICK_SLACK_MS;
    }
  }

  private waitAfter(failures: number): number {
    if (failures <= FAILURES_BEFORE_BACKOFF) return this.intervalMs;
    return Math.min(this.maxBackoffMs, this.intervalMs * 2 ** (failures - FAILURES_BEFORE_BACKOFF));
  }
}

/** A peer that has not answered `hello` in this long is offline for the overview. */
const CHECK_TIMEOUT_MS = 15_000;
/** A check due a hair after a tick would otherwise wait a whole interval more. */
const TICK_SLACK_MS = 50;
