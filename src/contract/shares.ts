import { z } from 'zod';

export const shareSchema = z.object({
  id: z.number(),
  name: z.string(),
  syncEnabled: z.boolean(),
  fileCount: z.number(),
  sizeBytes: z.number(),
  lastSuccessfulSyncAt: z.string().nullable(),
});

/** One folder of a user's own share (GET /api/files/:share). Paths are file keys, as in a restore listing. */
export const shareListingSchema = z.object({
  share: z.string(),
  path: z.string(),
  folders: z.array(z.object({ name: z.string(), path: z.string() })),
  files: z.array(z.object({ name: z.string(), path: z.string(), size: z.number(), mtime: z.string() })),
});

/** What the last PATCH of a finished upload answers: where the file landed (`renamed`: beside a file that had the name). */
export const placedUploadSchema = z.object({ share: z.string(), path: z.string(), renamed: z.boolean() });
