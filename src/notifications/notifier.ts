import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logging/logger.js';
import type { Channel } from './channel.js';
import { emailChannel } from './email-channel.js';
import type { SyncEvent } from './events.js';
import { messageFor, type NotificationMessage, testMessage } from './message.js';
import type { NotificationSettings, NotificationSettingsStore } from './settings.js';
import { webhookChannel } from './webhook-channel.js';

export interface NotifierOptions {
  /** The waits before each retry of a delivery that failed; its length is the number of retries. */
  retryDelaysMs?: readonly number[];
  /** Events of the same kind, peer and cause within this window become one message (a Force Sync failing for every share). */
  groupWindowMs?: number;
  /** The time limit of one delivery attempt. */
  timeoutMs?: number;
}

export const DEFAULT_NOTIFIER_OPTIONS: Required<NotifierOptions> = { retryDelaysMs: [1000, 5000, 30_000], groupWindowMs: 2000, timeoutMs: 15_000 };

/** How "Send a test" went on each channel; null: that channel is not configured. */
export interface TestOutcome {
  webhook: ChannelOutcome | null;
  email: ChannelOutcome | null;
}

export interface ChannelOutcome {
  ok: boolean;
  error?: string;
}

/**
 * Sends notifications without ever holding up the caller: `notify` queues
 * and returns; delivery, its retries and their log lines happen behind it.
 */
export class Notifier {
  private readonly options: Required<NotifierOptions>;
  private readonly groups = new Map<string, SyncEvent[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: {
      settings: NotificationSettingsStore;
      serverName: () => string;
      logger: Logger;
      options?: NotifierOptions | undefined;
    },
  ) {
    this.options = { ...DEFAULT_NOTIFIER_OPTIONS, ...deps.options };
  }

  /** Queues the event, grouped with others of its kind, peer and cause; returns at once. */
  notify(event: SyncEvent): void {
    if (this.stopping.signal.aborted || !this.deps.settings.wants(event.event)) return;
    const key = `${event.event}|${event.peer}|${event.code ?? ''}`;
    const group = this.groups.get(key);
    if (group) {
      group.push(event);
      return;
    }
    this.groups.set(key, [event]);
    this.track(
      delay(this.options.groupWindowMs, undefined, { signal: this.stopping.signal, ref: false }).then(
        () => {
          const events = this.groups.get(key) ?? [event];
          this.groups.delete(key);
          this.send(messageFor(events, this.deps.serverName()));
        },
        () => undefined,
      ),
    );
  }

  /** Sends one test message through each configured channel, once, and says how each went. */
  async sendTest(now: Date): Promise<TestOutcome> {
    const message = testMessage(this.deps.serverName(), now.toISOString());
    const channels = channelsFor(this.deps.settings.get(), this.options.timeoutMs);
    const outcome: TestOutcome = { webhook: null, email: null };
    await Promise.all(
      channels.map(async (channel) => {
        try {
          await channel.send(message, this.stopping.signal);
          outcome[channel.name] = { ok: true };
        } catch (error) {
          outcome[channel.name] = { ok: false, error: error instanceof Error ? error.message : String(error) };
          this.deps.logger.warn({ channel: channel.name, target: channel.target, error: outcome[channel.name]?.error }, 'test notification not delivered');
        }
      }),
    );
    return outcome;
  }

  /** Drops what is queued and ends the retries (server shutdown), waiting a bounded time for sends in progress. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.race([Promise.allSettled([...this.inFlight]), delay(STOP_WAIT_MS, undefined, { ref: false })]);
  }

  private send(message: NotificationMessage): void {
    for (const channel of channelsFor(this.deps.settings.get(), this.options.timeoutMs)) this.track(this.deliver(channel, message));
  }

  /** One channel, with retries; one log line per failed attempt, naming the channel's origin only. */
  private async deliver(channel: Channel, message: NotificationMessage): Promise<void> {
    const retries = this.options.retryDelaysMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await channel.send(message, this.stopping.signal);
        this.deps.logger.info({ channel: channel.name, target: channel.target, event: message.event, attempt }, 'notification sent');
        return;
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        const wait = retries[attempt - 1];
        const line = { channel: channel.name, target: channel.target, event: message.event, attempt, error: error instanceof Error ? error.message : String(error) };
        if (wait === undefined) {
          this.deps.logger.warn(line, `notification not delivered after ${attempt} attempts; giving up`);
          return;
        }
        this.deps.logger.warn({ ...line, retryInMs: wait }, 'notification not delivered; trying again');
        try {
          await delay(wait, undefined, { signal: this.stopping.signal, ref: false });
        } catch {
          return;
        }
      }
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

/** Shutdown waits at most this long for messages being sent. */
const STOP_WAIT_MS = 2000;

function channelsFor(settings: NotificationSettings, timeoutMs: number): Channel[] {
  const channels: Channel[] = [];
  if (settings.webhookUrl) channels.push(webhookChannel(settings.webhookUrl, timeoutMs));
  if (settings.email) channels.push(emailChannel(settings.email, timeoutMs));
  return channels;
}
