import type { SettingsRepo, SyncLogsRepo } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';

/** A confirmation of a held plan is good for this long after the run was held. */
export const HELD_PLAN_VALID_MS = 24 * 60 * 60 * 1000;

/** The error codes of the guards that hold a plan for an administrator (plan-share.ts, `HeldPlan`). */
export const HELD_PLAN_CODES: ReadonlySet<string> = new Set(['MASS_DELETION_GUARD', 'RANSOMWARE_TRIPWIRE']);

interface HeldPlanRecord {
  logId: number;
  /** `heldPlanId` of what the guard stopped. */
  plan: string;
  heldAt: string;
}

/**
 * The plans a guard held (the mass-deletion guard, the ransomware tripwire),
 * one per share and peer (a later hold replaces the earlier one), so that an
 * administrator's confirmation lifts exactly the plan they looked at, once,
 * for a day, and never a later guard.
 */
export class HeldPlansStore {
  constructor(private readonly repos: { settings: Pick<SettingsRepo, 'get' | 'set' | 'delete'>; syncLogs: Pick<SyncLogsRepo, 'findById' | 'latestRunId'> }) {}

  record(shareId: number, peerId: number, held: HeldPlanRecord): void {
    this.repos.settings.set(keyOf(shareId, peerId), JSON.stringify(held));
  }

  /**
   * The plan held by run `logId`, if confirming it is still meaningful: that
   * run was held by a guard, is the latest of its share and peer, and was
   * held less than a day ago. Otherwise CONFIRMATION_STALE, saying why.
   */
  confirmable(logId: number, now: Date): { shareId: number; peerId: number; plan: string } {
    const run = this.repos.syncLogs.findById(logId);
    if (!run || run.errorCode === null || !HELD_PLAN_CODES.has(run.errorCode) || run.shareId === null || run.peerId === null) {
      throw stale('This sync was not held by the mass-deletion guard or the ransomware tripwire, so there is nothing to confirm');
    }
    const where = `${run.username}/${run.shareName} to ${run.peerName}`;
    if (this.repos.syncLogs.latestRunId(run.shareId, run.peerId) !== logId) {
      throw stale(`A later sync of ${where} has run since this one was held; confirm the latest run if it was held too`);
    }
    const text = this.repos.settings.get(keyOf(run.shareId, run.peerId));
    const held = text === undefined ? undefined : (JSON.parse(text) as HeldPlanRecord);
    if (held?.logId !== logId) throw stale(`The held plan of this sync of ${where} was confirmed already`);
    if (now.getTime() - Date.parse(held.heldAt) > HELD_PLAN_VALID_MS) {
      throw stale(`This sync of ${where} was held more than a day ago; the confirmation has expired`);
    }
    return { shareId: run.shareId, peerId: run.peerId, plan: held.plan };
  }

  /** Called once the confirmed run started: the confirmation is used up. */
  consume(shareId: number, peerId: number): void {
    this.repos.settings.delete(keyOf(shareId, peerId));
  }
}

/** The key the first guard used; kept so a plan held before an upgrade stays confirmable. */
function keyOf(shareId: number, peerId: number): string {
  return `held-deletions:${shareId}:${peerId}`;
}

function stale(message: string): AnemoneError {
  return new AnemoneError('CONFIRMATION_STALE', { message });
}
