import type { ObjectVersionRow, SnapshotRow } from '../db/incoming-history-repo.js';
import { chainFrom } from './share-history.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Every snapshot of the last day is kept; every version of the last day too, snapshot or not. */
export const KEEP_ALL_MS = DAY_MS;
/** Up to this age, the last snapshot of each day; beyond it, the last of each week. */
export const DAILY_DAYS = 30;

/** What retention keeps of one share's history, and what it removes. */
export interface RetentionPlan {
  /** Snapshot rows (manifest and delta files) to remove. */
  snapshots: SnapshotRow[];
  versions: ObjectVersionRow[];
  /** The version files to remove: those of `versions` that no kept row shares (rows that kept the same bytes share one file). */
  versionFiles: { file: string; size: number }[];
  /** Files and bytes the removal frees. */
  files: number;
  bytes: number;
}

/**
 * Staggered thinning, as Syncthing's versioning does it, decided on the peer:
 * the current snapshot always; every snapshot of the last 24 hours; then the
 * last snapshot of each day (UTC) up to 30 days old; then the last of each
 * week (UTC, weeks from Monday) up to `keepDays`; nothing older. With
 * `keepDays` 0, the current snapshot alone. Returns the snapshot generations kept.
 */
export function keptGenerations(snapshots: readonly Pick<SnapshotRow, 'generation' | 'committedAt' | 'supersededAt'>[], now: Date, keepDays: number): Set<number> {
  const kept = new Set<number>();
  const lastOfPeriod = new Map<string, { generation: number; at: number }>();
  for (const snapshot of snapshots) {
    if (snapshot.supersededAt === null) {
      kept.add(snapshot.generation);
      continue;
    }
    const at = Date.parse(snapshot.committedAt);
    const age = now.getTime() - at;
    if (age > keepDays * DAY_MS) continue;
    if (age <= KEEP_ALL_MS) {
      kept.add(snapshot.generation);
      continue;
    }
    const period = age <= DAILY_DAYS * DAY_MS ? `day ${Math.floor(at / DAY_MS)}` : `week ${weekOf(at)}`;
    const latest = lastOfPeriod.get(period);
    if (latest === undefined || at >= latest.at) lastOfPeriod.set(period, { generation: snapshot.generation, at });
  }
  for (const { generation } of lastOfPeriod.values()) kept.add(generation);
  return kept;
}

/** Weeks since the epoch, starting on Mondays (1970-01-01 was a Thursday). */
function weekOf(at: number): number {
  return Math.floor((at / DAY_MS + 3) / 7);
}

/**
 * What retention removes of one share: manifest and delta files no kept
 * snapshot's chain needs (the current layout is never touched), and object
 * versions older than a day that no kept snapshot names — a version is in a
 * snapshot when it was current at its commit (stored at or before, replaced after).
 * A version file goes with the last row that names it.
 */
export function retentionPlan(rows: readonly SnapshotRow[], versions: readonly ObjectVersionRow[], now: Date, keepDays: number): RetentionPlan {
  // a snapshot is the first commit of its generation (share-history.ts); the current state is whatever was committed last
  const firstCommits = rows.filter((row, index) => rows.findIndex((other) => other.generation === row.generation) === index);
  const current = rows.find((row) => row.supersededAt === null);
  const kept = keptGenerations(firstCommits, now, keepDays);
  const keptCommits = firstCommits.filter((row) => kept.has(row.generation));
  if (current !== undefined && !keptCommits.includes(current)) keptCommits.push(current);
  const neededRows = new Set<number>();
  for (const commit of keptCommits) {
    const chain = chainFrom(rows, commit);
    for (const row of chain ? [chain.base, ...chain.deltas] : []) neededRows.add(row.id);
  }
  // the current layout (history_file null) is never touched
  const snapshots = rows.filter((row) => row.historyFile !== null && !neededRows.has(row.id));
  const recent = now.getTime() - KEEP_ALL_MS;
  const removedVersions = versions.filter(
    (version) =>
      Date.parse(version.supersededAt) <= recent &&
      !keptCommits.some((snapshot) => version.storedAt <= snapshot.committedAt && snapshot.committedAt < version.supersededAt),
  );
  const removedIds = new Set(removedVersions.map((version) => version.id));
  const stillNamed = new Set(versions.filter((version) => !removedIds.has(version.id)).map((version) => version.file));
  const versionFiles = new Map<string, number>();
  for (const version of removedVersions) if (!stillNamed.has(version.file)) versionFiles.set(version.file, version.size);
  const freedFiles = [...versionFiles].map(([file, size]) => ({ file, size }));
  return {
    snapshots,
    versions: removedVersions,
    versionFiles: freedFiles,
    files: snapshots.length + freedFiles.length,
    bytes: snapshots.reduce((total, row) => total + row.size, 0) + freedFiles.reduce((total, version) => total + version.size, 0),
  };
}
