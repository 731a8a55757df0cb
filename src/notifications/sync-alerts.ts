import type { Logger } from '../logging/logger.js';
import { realTimers, type SchedulerTimers } from '../scheduler/scheduler.js';
import type { SyncRunOutcome } from '../sync/types.js';
import { isHeldCode, type SyncEvent } from './events.js';
import type { PairStateStore } from './pair-state.js';
import type { NotificationSettingsStore } from './settings.js';

/** A share and peer the schedule syncs: the pairs the stale check watches. */
export interface WatchedPair {
  shareId: number;
  peerId: number;
  user: string;
  share: string;
  peer: string;
}

export interface SyncAlertsOptions {
  /** How often the stale check runs (15 minutes). */
  checkIntervalMs?: number;
  now?: () => Date;
  /** Injectable so a test fires the stale check when it wants. */
  timers?: SchedulerTimers;
}

export const STALE_CHECK_INTERVAL_MS = 15 * 60_000;

/**
 * Turns how sync runs end, and time passing without a success, into the
 * events an administrator asked for, one per problem: a failure is told when
 * no automatic retry is left, again only if its cause changes, and a success
 * afterwards is told as `recovered`.
 */
export class SyncAlerts {
  private readonly timers: SchedulerTimers;
  private readonly intervalMs: number;
  private timer: unknown;
  private running = false;

  constructor(
    private readonly deps: {
      settings: NotificationSettingsStore;
      state: PairStateStore;
      notify: (event: SyncEvent) => void;
      /** The pairs the schedule syncs now. */
      watchedPairs: () => WatchedPair[];
      lastSuccess: (shareId: number, peerId: number) => string | undefined;
      logger: Logger;
      options?: SyncAlertsOptions | undefined;
    },
  ) {
    this.timers = deps.options?.timers ?? realTimers;
    this.intervalMs = deps.options?.checkIntervalMs ?? STALE_CHECK_INTERVAL_MS;
  }

  private now(): Date {
    return this.deps.options?.now?.() ?? new Date();
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Called by the sync engine as each run ends; never throws into it. */
  runFinished(outcome: SyncRunOutcome): void {
    try {
      this.judge(outcome);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'notifications: could not judge a finished sync');
    }
  }

  /** Tells each pair that has had no successful sync for staleAfterHours, once per such time. */
  checkStale(): void {
    const { settings, state } = this.deps;
    if (!settings.wants('stale')) return;
    const staleAfterHours = settings.get().staleAfterHours;
    const now = this.now();
    for (const pair of this.deps.watchedPairs()) {
      const current = state.get(pair.shareId, pair.peerId);
      if (current.stale) continue;
      const lastSuccessAt = this.deps.lastSuccess(pair.shareId, pair.peerId) ?? null;
      const since = lastSuccessAt ?? current.watchedSince;
      if (since === undefined) {
        state.set(pair.shareId, pair.peerId, { ...current, watchedSince: now.toISOString() });
        continue;
      }
      if (now.getTime() - Date.parse(since) < staleAfterHours * 3_600_000) continue;
      state.set(pair.shareId, pair.peerId, { ...current, stale: true });
      this.deps.notify({ event: 'stale', user: pair.user, share: pair.share, peer: pair.peer, at: now.toISOString(), lastSuccessAt, staleAfterHours });
    }
  }

  private judge(outcome: SyncRunOutcome): void {
    if (outcome.status === 'interrupted') return;
    const { state, settings } = this.deps;
    const current = state.get(outcome.shareId, outcome.peerId);
    const about = { user: outcome.username, share: outcome.shareName, peer: outcome.peerName, at: outcome.finishedAt };
    if (outcome.status === 'success') {
      const told = current.problem?.kind ?? (current.stale ? 'stale' : undefined);
      if (told !== undefined || current.watchedSince !== undefined) state.set(outcome.shareId, outcome.peerId, {});
      if (told !== undefined) this.deps.notify({ event: 'recovered', ...about, recoveredFrom: told });
      return;
    }
    const code = outcome.code ?? 'INTERNAL';
    const kind = isHeldCode(code) ? 'held' : 'failure';
    // a retry is on its way: only the last attempt's failure is news
    if (kind === 'failure' && outcome.retryPending) return;
    if (current.problem?.kind === kind && current.problem.code === code) return;
    if (!settings.wants(kind)) return;
    state.set(outcome.shareId, outcome.peerId, { ...current, problem: { kind, code } });
    this.deps.notify({ event: kind, ...about, code, error: outcome.error, hint: outcome.hint, attempts: outcome.attempt });
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.timers.setTimeout(() => {
      try {
        this.checkStale();
      } catch (error) {
        this.deps.logger.error({ err: error }, 'notifications: the stale check failed');
      }
      this.arm();
    }, this.intervalMs);
  }
}
