import { z } from 'zod';

/** One thing that needs attention on the overview, with what to do. */
export const verdictReasonSchema = z.object({ code: z.string(), message: z.string(), hint: z.string(), at: z.string().nullable() });

export const verdictSchema = z
  .object({
    state: z.enum(['ok', 'attention', 'nothing-to-back-up']),
    sharesTotal: z.number().describe('synced shares of activated users'),
    sharesBackedUp: z.number().describe('of those, the ones with a successful sync'),
    oldestBackupAt: z.string().nullable().describe("the oldest of those shares' last successful syncs"),
    reasons: z.array(verdictReasonSchema).describe('what needs attention, each with what to do; empty when state is ok'),
  })
  .describe('the headline: "All 4 shares backed up, the oldest 3 minutes ago", or what needs attention');

export const dashboardSchema = z.object({
  verdict: verdictSchema,
  nextRunAt: z.string().nullable().describe('the next scheduled run; null when automatic sync is off'),
  users: z.array(z.object({ user: z.string(), fileCount: z.number(), sizeBytes: z.number() })).describe("each user's shares added up"),
  shares: z.array(
    z.object({
      id: z.number(),
      user: z.string(),
      name: z.string(),
      syncEnabled: z.boolean(),
      lastSuccessfulSyncAt: z.string().nullable(),
      /** Files the share's last run left out; the list is at GET /api/admin/sync/logs/:logId. */
      notBackedUp: z.object({ count: z.number(), logId: z.number(), peer: z.string(), finishedAt: z.string() }).nullable(),
      fileCount: z.number().nullable().describe('files in the share now (measured at most every 30 seconds); null when it could not be measured'),
      sizeBytes: z.number().nullable(),
    }),
  ),
  connectedPeers: z.number(),
  peers: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      enabled: z.boolean(),
      status: z.string().nullable(),
      statusMessage: z.string().nullable(),
      lastContactAt: z.string().nullable(),
      lastSeenAt: z.string().nullable().describe('the last time the peer answered: "last seen online"'),
    }),
  ),
  recentFailures: z
    .array(
      z.object({
        id: z.number(),
        user: z.string(),
        share: z.string(),
        peer: z.string(),
        finishedAt: z.string().nullable(),
        errorCode: z.string().nullable(),
        error: z.string().nullable(),
        hint: z.string().nullable(),
      }),
    )
    .optional(),
  waiting: z
    .array(z.object({ code: z.enum(['USER_NOT_ACTIVATED', 'PEER_NOT_PINNED']), subject: z.string(), message: z.string(), hint: z.string() }))
    .optional()
    .describe('administrators only: users and peers that scheduled syncs and Force Sync leave out, and why'),
});

export const historySchema = z.object({
  since: z.string().describe('The first UTC day covered, YYYY-MM-DD'),
  shares: z.array(
    z.object({
      shareId: z.number(),
      user: z.string(),
      share: z.string(),
      samples: z.array(z.object({ day: z.string(), files: z.number(), bytes: z.number().describe('Plaintext bytes the scan found') })).describe('One per UTC day a sync scanned the share'),
    }),
  ),
  bytesSentPerDay: z.array(z.object({ day: z.string(), bytes: z.number().describe('Encrypted bytes the runs started that day sent'), runs: z.number() })).describe('Days without runs are absent'),
});

export const adminHistorySchema = historySchema.extend({
  disks: z.array(
    z.object({ folder: z.enum(['shares', 'incoming']), freeBytes: z.number(), totalBytes: z.number() }).describe('Free space of the file system holding that folder'),
  ),
  incoming: z.array(
    z.object({ source: z.string(), bytesStored: z.number().describe('Current files and history stored for that peer'), maxBytes: z.number().nullable().describe('Its quota; null: none') }),
  ),
});
