import { z } from 'zod';

export const SYNC_STATUSES = ['running', 'success', 'failure', 'interrupted', 'cancelled'] as const;

export const syncStartedSchema = z.object({
  started: z.array(z.object({ logId: z.number(), shareId: z.number(), peerId: z.number(), peerName: z.string() })),
  refused: z.array(z.object({ shareId: z.number(), peerId: z.number(), peerName: z.string(), code: z.string(), message: z.string() })),
});

export const syncLogSchema = z.object({
  id: z.number(),
  user: z.string(),
  share: z.string(),
  peer: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z
    .enum(SYNC_STATUSES)
    .describe('cancelled: a person stopped the run (stored as interrupted with the code SYNC_CANCELLED); the next run resumes from what arrived'),
  fileCount: z.number(),
  bytesTransferred: z.number(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  hint: z.string().nullable(),
  /** Files this run left out (unreadable, refused by the peer…); a success with some is not a plain success. */
  notBackedUp: z.number(),
  attempt: z.number().describe('1 for a run as started; 2, 3 and 4 for the automatic retries (1, 2 and 3 of 3) of a failed scheduled run'),
  filesDeleted: z.number().describe('Files this run deleted on the peer'),
});

/** One run with the files it left out (the first thousand; `notBackedUp` is the full count). */
export const syncLogDetailSchema = syncLogSchema.extend({
  notBackedUpFiles: z.array(
    z.object({
      /** The file's key, as downloads and restores address it. */
      key: z.string(),
      /** The same path as a person reads it (names that are not UTF-8 decoded lossily). */
      path: z.string(),
      reason: z.string(),
    }),
  ),
});

export const syncProgressSchema = z.object({
  logId: z.number(),
  user: z.string(),
  share: z.string(),
  peer: z.string(),
  startedAt: z.string(),
  phase: z.string(),
  filesDone: z.number(),
  filesTotal: z.number(),
  bytesDone: z.number().describe('Plaintext bytes of the plan sent so far, moving while a large file streams (bytesTotal is plaintext too)'),
  bytesTotal: z.number(),
  bytesPerSecond: z.number().nullable().describe('Upload rate over the last few seconds, in plaintext bytes; null outside the upload or before a second was measured'),
  etaSeconds: z.number().nullable().describe('Seconds left at that rate; null when unknown'),
});

/** A share's own syncs, as its owner sees them (GET /api/shares/:id/sync). */
export const shareSyncStatusSchema = z.object({ running: z.array(syncProgressSchema), runs: z.array(syncLogSchema) });

export const runningSyncsSchema = z.object({ running: z.array(syncProgressSchema) });

/** The filters of the paged sync log (GET /api/admin/sync/logs). */
export const syncLogQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0).describe('Rows (lines, when folded) to skip, newest first'),
  status: z.enum(['running', 'success', 'failure', 'interrupted']).optional(),
  user: z.string().min(1).max(200).optional().describe("The owner's username"),
  share: z.string().min(1).max(200).optional().describe('The share name: backup'),
  peer: z.string().min(1).max(200).optional().describe("The peer's name"),
  fold: z.enum(['quiet']).optional().describe('quiet: successful runs that sent, deleted and skipped nothing become one row per UTC day, share and peer'),
});

/** A line of the paged sync log: one run, or with fold=quiet the latest of `foldedRuns` runs of a day that changed nothing. */
export const syncLogLineSchema = syncLogSchema.extend({
  foldedRuns: z.number().describe('1 for a run; with fold=quiet, N > 1 when this row stands for N runs of that UTC day that changed nothing (it is the latest of them)'),
});

export const syncLogPageSchema = z.object({
  logs: z.array(syncLogLineSchema),
  total: z.number().describe('Rows (lines, when folded) matching the filters'),
  offset: z.number(),
  limit: z.number(),
});

/** A file a run sent (with its plaintext size), deleted on the peer, or skipped (with why). */
export const syncRunEntrySchema = z.object({
  action: z.enum(['sent', 'deleted', 'skipped']),
  /** The file's key, as downloads and restores address it. */
  key: z.string(),
  path: z.string(),
  bytes: z.number().nullable().describe('Plaintext bytes of a file sent'),
  reason: z.string().nullable().describe('Why a file was skipped'),
});

export const syncRunEntriesSchema = z.object({
  entries: z.array(syncRunEntrySchema),
  unlisted: z.object({ sent: z.number(), deleted: z.number(), skipped: z.number() }).describe('Files the run handled beyond the listed ones, or whose list was pruned'),
});
