import { z } from 'zod';

/** What went wrong, and what to do (the error catalogue's code, message and hint). */
export const problemSchema = z.object({ code: z.string(), message: z.string(), hint: z.string() });

/**
 * A backup of this user on a peer, to restore from (GET /api/restore/sources):
 * one entry per peer and share, or the peer with what kept it from answering.
 */
export const restoreSourceSchema = z.union([
  z.object({
    peerId: z.number(),
    peerName: z.string(),
    share: z.string(),
    fileCount: z.number(),
    bytesUsed: z.number(),
    lastSyncAt: z.string().nullable(),
  }),
  z.object({
    peerId: z.number(),
    peerName: z.string(),
    error: problemSchema,
    lastSeenAt: z.string().nullable().describe('the last time the peer answered'),
    syncedShares: z
      .array(z.object({ share: z.string(), lastSyncAt: z.string() }))
      .describe("the user's shares this server synced to the peer, and when last: the backup is still there, only out of reach now"),
  }),
]);

export const restoreSourcesSchema = z.object({ sources: z.array(restoreSourceSchema) });

export const restoreFolderSchema = z.object({
  name: z.string(),
  /** The path in the share, `/`-separated, no leading slash. */
  path: z.string(),
  fileCount: z.number(),
  size: z.number(),
});

export const restoreFileSchema = z.object({ name: z.string(), path: z.string(), size: z.number(), mtime: z.string(), sha256: z.string() });

/** One folder of a backup, from the decrypted manifest (GET /api/restore/:peerId/:share/files?path=). */
export const restoreListingSchema = z.object({
  peerId: z.number(),
  peerName: z.string(),
  share: z.string(),
  path: z.string(),
  generation: z.number(),
  backedUpAt: z.string(),
  folders: z.array(restoreFolderSchema),
  files: z.array(restoreFileSchema),
});

/** The states of a backup the peer keeps, newest first; the totals are null for snapshots written by an older version. */
export const restoreSnapshotsSchema = z.object({
  snapshots: z.array(z.object({ id: z.number(), at: z.string(), fileCount: z.number().nullable(), bytes: z.number().nullable() })),
});

/** The distinct contents of a file, newest first, each named by the newest snapshot holding it. */
export const fileVersionsSchema = z.object({ versions: z.array(z.object({ snapshot: z.number(), at: z.string(), size: z.number() })) });

export const restoreFileErrorSchema = z.object({ share: z.string(), path: z.string(), code: z.string(), message: z.string() });

const progress = {
  filesDone: z.number(),
  filesTotal: z.number(),
  filesFailed: z.number(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
};

const jobCommon = {
  id: z.string(),
  status: z.enum(['running', 'success', 'partial', 'failure', 'cancelled']),
  peerId: z.number(),
  peerName: z.string(),
  target: z.enum(['original', 'folder']),
  targetShare: z.string().describe("the share written into: the backup share for `original`, the user's never-synced share (`data`) for `folder`; '' for a bulk restore (each user's own shares)"),
  targetFolder: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  ...progress,
  error: problemSchema.nullable(),
};

export const restoreStartedSchema = z.object({ jobId: z.string() });

/** A user's own restore into their share (GET /api/restore/jobs/:jobId). */
export const userRestoreJobSchema = z.object({ ...jobCommon, share: z.string(), errors: z.array(restoreFileErrorSchema), errorCount: z.number() });

export const userRestoreJobsSchema = z.object({ jobs: z.array(userRestoreJobSchema) });

/** A bulk restore and its progress per user (GET /api/admin/restore/:jobId). */
export const restoreJobSchema = z.object({
  ...jobCommon,
  kind: z.enum(['user', 'bulk']),
  users: z.array(z.object({ user: z.string(), shares: z.array(z.string()), ...progress, errors: z.array(restoreFileErrorSchema), errorCount: z.number() })),
  at: z.string().nullable().describe('a restore as of this time; null for the latest state'),
  snapshots: z.array(z.object({ user: z.string(), share: z.string(), snapshot: z.number() })).describe('restoring as of `at`: the snapshot each share was put back from'),
  leftInPlace: z
    .array(z.object({ user: z.string(), share: z.string(), path: z.string() }))
    .describe('restoring as of `at`: files in the shares that their snapshot does not hold (created later), left as they are; the first 1000'),
  leftInPlaceCount: z.number(),
});

export const restoreJobsSchema = z.object({ jobs: z.array(restoreJobSchema) });
