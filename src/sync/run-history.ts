import type { Repositories } from '../db/index.js';
import type { ShareSyncResult } from './share-sync.js';

/** File lists of runs are kept this long; the runs' rows and counts stay (docs/sync-history.md). */
export const RUN_ENTRIES_KEPT_DAYS = 90;
/** Share size samples (one row per share and day) are kept this long: a year and a bit for the chart. */
export const SIZE_SAMPLES_KEPT_DAYS = 400;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What a successful run leaves for the history pages: the files it sent and
 * deleted, the share's size that day; and the old lists pruned on the way, so
 * the history stays bounded without a timer of its own.
 */
export function recordRunHistory(
  repos: Pick<Repositories, 'syncHistory' | 'shareStats'>,
  run: { logId: number; shareId: number },
  result: Pick<ShareSyncResult, 'sent' | 'deleted' | 'shareSize'>,
  now: Date,
): void {
  repos.syncHistory.recordEntries(run.logId, result);
  if (result.shareSize) repos.shareStats.recordSize(run.shareId, now, result.shareSize);
  repos.syncHistory.pruneEntriesBefore(new Date(now.getTime() - RUN_ENTRIES_KEPT_DAYS * DAY_MS).toISOString());
  repos.shareStats.pruneBefore(new Date(now.getTime() - SIZE_SAMPLES_KEPT_DAYS * DAY_MS).toISOString().slice(0, 10));
}
