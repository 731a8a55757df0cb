/** A restore job's state and progress, and how the API shows it. Jobs live in memory (see job-registry.ts). */

/** cancelled: a person stopped it; the files restored before stay. */
export type RestoreJobStatus = 'running' | 'success' | 'partial' | 'failure' | 'cancelled';
export type RestoreTarget = 'original' | 'folder';

export interface RestoreFileError {
  share: string;
  /** The file's path in the backup; `''` when a whole share failed (no backup on the peer, say). */
  path: string;
  code: string;
  message: string;
}

/** One user's share within a job. */
export interface RestorePart {
  user: string;
  /** The backed-up share the files come from. */
  share: string;
  /** The share they are written into (the same one, unless the job restores into a folder of another). */
  intoShare: string;
  filesTotal: number;
  filesDone: number;
  filesFailed: number;
  bytesTotal: number;
  bytesDone: number;
  /** The first errors (a damaged copy could fail every file: the list is capped, `errorCount` is not). */
  errors: RestoreFileError[];
  errorCount: number;
  /** Restoring as of a time: the snapshot (generation) this share was put back from. */
  snapshot: number | null;
  /** Files in the share that snapshot does not hold (created after it): left as they are. The first ones; `leftInPlaceCount` counts all. */
  leftInPlace: string[];
  leftInPlaceCount: number;
}

export interface RestoreJob {
  id: string;
  kind: 'user' | 'bulk';
  /** Who started it: a user sees only their own jobs. */
  ownerId: number;
  peerId: number;
  peerName: string;
  target: RestoreTarget;
  /**
   * The share the files are written into: the backup share itself for
   * `original`; for `folder`, the user's share that is never synced (`data`),
   * so the restored copies are not uploaded again as new files.
   */
  targetShare: string;
  /** With target `folder`: the folder of `targetShare` the files go to (`restored-<YYYY-MM-DD>`). */
  targetFolder: string | null;
  /** A bulk restore as of this time (ISO): each share from its latest snapshot at or before it; null for the latest state. */
  at: string | null;
  startedAt: string;
  finishedAt: string | null;
  status: RestoreJobStatus;
  parts: RestorePart[];
  /** A failure of the job as a whole (the peer unreachable, the server stopping). */
  error: { code: string; message: string; hint: string } | null;
}

const MAX_LISTED_ERRORS = 200;
const MAX_LISTED_LEFT_IN_PLACE = 1000;

export function newPart(user: string, share: string, intoShare = share): RestorePart {
  return { user, share, intoShare, filesTotal: 0, filesDone: 0, filesFailed: 0, bytesTotal: 0, bytesDone: 0, errors: [], errorCount: 0, snapshot: null, leftInPlace: [], leftInPlaceCount: 0 };
}

export function recordError(part: RestorePart, error: Omit<RestoreFileError, 'share'>): void {
  part.errorCount += 1;
  if (part.errors.length < MAX_LISTED_ERRORS) part.errors.push({ share: part.share, ...error });
}

export function recordLeftInPlace(part: RestorePart, relPaths: readonly string[]): void {
  part.leftInPlaceCount += relPaths.length;
  part.leftInPlace.push(...relPaths.slice(0, Math.max(0, MAX_LISTED_LEFT_IN_PLACE - part.leftInPlace.length)));
}

/** cancelled: stopped by a person, whatever was restored by then; success: everything restored; partial: some files failed, others restored; failure: nothing restored, or the job itself failed. */
export function finalStatus(job: RestoreJob): Exclude<RestoreJobStatus, 'running'> {
  const errors = job.parts.reduce((sum, part) => sum + part.errorCount, 0);
  const done = job.parts.reduce((sum, part) => sum + part.filesDone, 0);
  if (job.error?.code === 'RESTORE_CANCELLED') return 'cancelled';
  if (job.error) return done > 0 ? 'partial' : 'failure';
  if (errors === 0) return 'success';
  return done > 0 ? 'partial' : 'failure';
}

function totals(parts: readonly RestorePart[]) {
  const sum = (pick: (part: RestorePart) => number) => parts.reduce((total, part) => total + pick(part), 0);
  return {
    filesDone: sum((part) => part.filesDone),
    filesTotal: sum((part) => part.filesTotal),
    filesFailed: sum((part) => part.filesFailed),
    bytesDone: sum((part) => part.bytesDone),
    bytesTotal: sum((part) => part.bytesTotal),
  };
}

/** The administrator's view: progress per user (a user's shares added up) and every error. */
export function bulkJobView(job: RestoreJob) {
  const users = [...new Set(job.parts.map((part) => part.user))].map((user) => {
    const parts = job.parts.filter((part) => part.user === user);
    return { user, shares: parts.map((part) => part.share), ...totals(parts), errors: parts.flatMap((part) => part.errors), errorCount: parts.reduce((sum, part) => sum + part.errorCount, 0) };
  });
  const leftInPlace = job.parts.flatMap((part) => part.leftInPlace.map((relPath) => ({ user: part.user, share: part.share, path: relPath })));
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    peerId: job.peerId,
    peerName: job.peerName,
    target: job.target,
    targetShare: job.targetShare,
    targetFolder: job.targetFolder,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    ...totals(job.parts),
    users,
    at: job.at,
    snapshots: job.parts.flatMap((part) => (part.snapshot === null ? [] : [{ user: part.user, share: part.share, snapshot: part.snapshot }])),
    leftInPlace: leftInPlace.slice(0, MAX_LISTED_LEFT_IN_PLACE),
    leftInPlaceCount: job.parts.reduce((sum, part) => sum + part.leftInPlaceCount, 0),
    error: job.error,
  };
}

/** A user's view of their own restore into one share. */
export function userJobView(job: RestoreJob) {
  return {
    id: job.id,
    status: job.status,
    peerId: job.peerId,
    peerName: job.peerName,
    share: job.parts[0]?.share ?? '',
    target: job.target,
    targetShare: job.targetShare,
    targetFolder: job.targetFolder,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    ...totals(job.parts),
    errors: job.parts.flatMap((part) => part.errors),
    errorCount: job.parts.reduce((sum, part) => sum + part.errorCount, 0),
    error: job.error,
  };
}
