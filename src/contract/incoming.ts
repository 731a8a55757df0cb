import { z } from 'zod';
import { keepVersionsDaysSchema } from './settings.js';

export const incomingShareSchema = z.object({
  user: z.string(),
  share: z.string(),
  fileCount: z.number(),
  bytesUsed: z.number(),
  lastReceivedAt: z.string().nullable(),
  generation: z.number().nullable(),
  /** Space the share's kept old versions take here, beside bytesUsed (the current state). */
  versionBytes: z.number(),
  /** What the next retention prune frees. */
  prunableBytes: z.number(),
});

export const incomingSourceSchema = z.object({
  name: z.string(),
  fingerprint: z.string().nullable(),
  pendingFingerprint: z.string().nullable(),
  fileCount: z.number(),
  bytesUsed: z.number(),
  lastReceivedAt: z.string().nullable(),
  versionBytes: z.number(),
  prunableBytes: z.number(),
  /** The retention that applies to this source: its own, or this server's. */
  keepVersionsDays: z.number(),
  /** The source's own retention; null: this server's setting. */
  keepVersionsDaysOverride: z.number().nullable(),
  /** The source's quota, current state and history together; null: none. */
  maxBytes: z.number().nullable(),
  shares: z.array(incomingShareSchema),
});

export const incomingOverviewSchema = z.object({
  peerCount: z.number(),
  fileCount: z.number(),
  bytesUsed: z.number(),
  versionBytes: z.number(),
  sources: z.array(incomingSourceSchema),
});

export const incomingDeletedSchema = z.object({ deletedFiles: z.number(), deletedBytes: z.number() });

/** What PATCH /api/admin/incoming/:source changes: a field left out stays, null goes back to the default (none for the quota). */
export const incomingLimitsSchema = z.object({
  keepVersionsDays: keepVersionsDaysSchema.nullable().optional(),
  maxBytes: z.number().int('Give a whole number of bytes').min(1, 'Give a quota above 0 bytes, or null for none').max(Number.MAX_SAFE_INTEGER).nullable().optional(),
});
