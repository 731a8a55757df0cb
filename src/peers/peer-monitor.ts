import type { Logger } from '../logging/logger.js';
import type { PeerService } from './peer-service.js';

/** Often enough for a dashboard to be current; rarely enough that a wrong password never reaches a peer's rate limit. */
export const PEER_CHECK_INTERVAL_MS = 10 * 60 * 1000;

/**
 * The light periodic check behind each peer's status: a Test Connection of
 * every enabled, confirmed peer. Syncs refresh the status too.
 */
export class PeerMonitor {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly peers: Pick<PeerService, 'list' | 'test'>,
    private readonly logger: Logger,
    private readonly intervalMs: number = PEER_CHECK_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.checkAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Checks every enabled, pinned peer once; a check already under way is joined, not doubled. */
  checkAll(): Promise<void> {
    this.checking ??= this.runChecks().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async runChecks(): Promise<void> {
    for (const peer of this.peers.list()) {
      if (!peer.enabled || !peer.fingerprint) continue;
      try {
        const result = await this.peers.test(peer.id);
        if (!result.ok) this.logger.info({ peer: peer.name, outcome: result.outcome }, 'peer check failed');
      } catch (error) {
        this.logger.warn({ peer: peer.name, err: error }, 'peer check could not run');
      }
    }
  }
}
