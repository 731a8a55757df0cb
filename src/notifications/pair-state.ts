import type { SettingsRepo } from '../db/index.js';

/**
 * What the administrator was told about one share and peer, so each problem
 * is told once: a failure or hold (with its code), a stale share, and since
 * when the pair is watched when it never synced.
 */
export interface PairState {
  problem?: { kind: 'failure' | 'held'; code: string };
  stale?: boolean;
  /** When the stale check first saw a pair that never synced successfully: its clock starts then. */
  watchedSince?: string;
}

/** Kept in the server settings, so a restart does not tell the same problem again. */
export class PairStateStore {
  constructor(private readonly settings: Pick<SettingsRepo, 'get' | 'set' | 'delete'>) {}

  get(shareId: number, peerId: number): PairState {
    const text = this.settings.get(keyOf(shareId, peerId));
    return text === undefined ? {} : (JSON.parse(text) as PairState);
  }

  set(shareId: number, peerId: number, state: PairState): void {
    if (Object.keys(state).length === 0) this.settings.delete(keyOf(shareId, peerId));
    else this.settings.set(keyOf(shareId, peerId), JSON.stringify(state));
  }
}

function keyOf(shareId: number, peerId: number): string {
  return `notification-state:${shareId}:${peerId}`;
}
