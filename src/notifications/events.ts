/** What an administrator can choose to be told about (PRODUCT.md §10, docs/notifications.md). */
export { NOTIFICATION_EVENTS } from '../contract/settings.js';
import type { NOTIFICATION_EVENTS } from '../contract/settings.js';
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/**
 * Error codes that end a run "held": a guard stopped it before it did harm,
 * and it waits for an administrator's confirmation rather than for a fix.
 * A new guard (a tripwire, say) adds its code here.
 */
const HELD_CODES: ReadonlySet<string> = new Set(['MASS_DELETION_GUARD', 'RANSOMWARE_TRIPWIRE']);

export function isHeldCode(code: string): boolean {
  return HELD_CODES.has(code);
}

/** One share and peer an event is about. */
export interface SharePeer {
  user: string;
  share: string;
  peer: string;
}

/** An event as the engine reports it, before messages are grouped and worded. */
export interface SyncEvent extends SharePeer {
  event: NotificationEvent;
  at: string;
  /** The error code of a failed or held run. */
  code?: string | undefined;
  /** What the run's log says happened, and what to do. */
  error?: string | undefined;
  hint?: string | undefined;
  /** Runs that failed in a row, retries included (failure). */
  attempts?: number | undefined;
  /** The last successful sync of the pair; null: never (stale). */
  lastSuccessAt?: string | null | undefined;
  /** The hours `stale` waits for (stale). */
  staleAfterHours?: number | undefined;
  /** What the pair recovered from (recovered). */
  recoveredFrom?: 'failure' | 'held' | 'stale' | undefined;
}
