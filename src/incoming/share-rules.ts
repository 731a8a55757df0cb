import type { IncomingRepo } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { ShareRef } from './incoming-store.js';
import type { ShareHistory, SnapshotTotals } from './share-history.js';
import type { ShareWrites } from './share-writes.js';

/**
 * The rules of the receiving side that do not depend on where objects are
 * kept: names, quota, incarnation. Both stores (fs-store.ts, s3-store.ts) use them.
 */

/** Names become folder names or key segments; checked again here so no caller can pass "..". */
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const NO_TOTALS: SnapshotTotals = { fileCount: null, bytes: null };

export function checkedName(name: string): string {
  if (!NAME.test(name)) throw new AnemoneError('VALIDATION_FAILED', { message: `"${name}" is not a valid server, user or share name` });
  return name;
}

export function shareSegments(ref: ShareRef): string[] {
  return [checkedName(ref.source), checkedName(ref.user), checkedName(ref.share)];
}

export function notStored(): AnemoneError {
  return new AnemoneError('NOT_FOUND', { message: 'That file is not stored here' });
}

/**
 * Past its quota a source's new data is refused (507), before its body is
 * read; history is never dropped early to make room.
 */
export function checkQuota(repo: IncomingRepo, history: ShareHistory, source: string): void {
  const maxBytes = history.maxBytes(source);
  if (maxBytes === null) return;
  const current = repo.listShares(source).reduce((total, row) => total + row.bytesUsed, 0);
  const versions = history.sourceHistoryBytes(source);
  if (current + versions < maxBytes) return;
  throw new AnemoneError('SOURCE_QUOTA_EXCEEDED', {
    message: `${source} may store ${gigabytes(maxBytes)} here; it holds ${gigabytes(current + versions)} (current ${gigabytes(current)}, versions ${gigabytes(versions)}). Ask the peer's administrator to raise the quota or shorten the retention`,
  });
}

/**
 * The share's incarnation (docs/protocol.md, "Backups deleted during a
 * sync"): it grows with each deletion of the share's backups here. A write
 * announcing another is of a run that began before the deletion: refused.
 * `announced` undefined: an older source, not checked.
 */
export function checkIncarnation(repo: IncomingRepo, ref: ShareRef, announced: number | undefined): void {
  if (announced !== undefined && announced !== repo.incarnationOf({ ...ref, source: checkedName(ref.source) })) throw new AnemoneError('BACKUP_RESET_ON_PEER');
}

/** Bytes as a person reads a quota: decimal gigabytes below 1 GB too, one decimal. */
function gigabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1).replace(/\.0$/, '')} GB` : `${(bytes / 1e6).toFixed(1).replace(/\.0$/, '')} MB`;
}

/**
 * At the start of a sync run of the share: removes the objects an earlier
 * run wrote since the last manifest commit and never committed (a run that
 * failed, or was killed), and takes them out of the stats. An object that
 * replaced one present at the last commit is kept, with its new content: the
 * committed manifest names that path. Skipped (`deferred`) while a write for
 * the share is still running; the next run tries again.
 */
export async function dropUncommitted(
  deps: { writes: ShareWrites; repo: IncomingRepo; removeStored: (ref: ShareRef, storedPaths: readonly string[], history: 'discard') => Promise<{ deleted: number; bytes: number }> },
  ref: ShareRef,
): Promise<{ removedFiles: number; removedBytes: number; deferred: boolean }> {
  if (deps.writes.busy(ref)) return { removedFiles: 0, removedBytes: 0, deferred: true };
  const recorded = deps.repo.listUncommitted(ref);
  if (recorded.length === 0) return { removedFiles: 0, removedBytes: 0, deferred: false };
  // never part of a snapshot, so not kept; what they replaced was kept when they arrived
  const removed = await deps.writes.during(ref, () => deps.removeStored(ref, recorded.filter((object) => !object.replaced).map((object) => object.path), 'discard'));
  deps.repo.clearUncommitted(ref);
  return { removedFiles: removed.deleted, removedBytes: removed.bytes, deferred: false };
}
