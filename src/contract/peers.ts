import { z } from 'zod';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** What an upload window does while it is in force. */
export const UPLOAD_WINDOW_MODES = ['limit', 'unlimited', 'paused'] as const;

/** A peer's fields as an administrator types them. */
export const peerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'Use 1–64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit');

export const peerPortSchema = z.number().int().min(1, 'Use a port from 1 to 65535').max(65535, 'Use a port from 1 to 65535');

export const peerTimeoutMinutesSchema = z
  .number()
  .int()
  .min(1, 'Use 1 to 1440 minutes')
  .max(1440, 'Use 1 to 1440 minutes');

export const peerPasswordSchema = z.string().min(1, 'Leave the password out rather than empty').max(1024, 'Use at most 1024 characters');

export const DEFAULT_PEER_PORT = 8443;
export const DEFAULT_PEER_TIMEOUT_MINUTES = 30;

export const MAX_UPLOAD_LIMIT_KIBPS = 10_000_000;
export const MAX_UPLOAD_WINDOWS = 28;

export const uploadLimitKiBpsSchema = z
  .number()
  .int()
  .min(1, `Use 1 to ${MAX_UPLOAD_LIMIT_KIBPS} KiB/s, or null for no limit`)
  .max(MAX_UPLOAD_LIMIT_KIBPS, `Use 1 to ${MAX_UPLOAD_LIMIT_KIBPS} KiB/s, or null for no limit`);

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use a time as HH:MM, from 00:00 to 23:59');

export const uploadWindowSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1, 'Choose at least one day').max(7),
    start: timeOfDay,
    end: timeOfDay,
    mode: z.enum(UPLOAD_WINDOW_MODES),
    limitKiBps: uploadLimitKiBpsSchema.optional(),
  })
  .superRefine((window, context) => {
    if (window.mode === 'limit' && window.limitKiBps === undefined) {
      context.addIssue({ code: 'custom', path: ['limitKiBps'], message: 'Give the limit in KiB/s for a "limit" window' });
    }
    if (window.start === window.end) context.addIssue({ code: 'custom', path: ['end'], message: 'The window must end at another time than it starts' });
  })
  .transform((window) => ({ ...window, days: [...new Set(window.days)].sort((a, b) => WEEKDAYS.indexOf(a) - WEEKDAYS.indexOf(b)) }));

export const uploadWindowsSchema = z.array(uploadWindowSchema).max(MAX_UPLOAD_WINDOWS, `Use at most ${MAX_UPLOAD_WINDOWS} windows`);

/** One window of a peer's weekly upload timetable, as the API answers it (server's local time). */
export const uploadWindowViewSchema = z.object({
  days: z.array(z.enum(WEEKDAYS)),
  start: z.string(),
  end: z.string(),
  mode: z.enum(UPLOAD_WINDOW_MODES),
  limitKiBps: z.number().optional(),
});

/** The password is write-only: the answer says whether one is set, never what it is. */
export const peerSchema = z.object({
  id: z.number(),
  name: z.string(),
  address: z.string(),
  port: z.number(),
  passwordSet: z.boolean(),
  enabled: z.boolean(),
  timeoutMinutes: z.number(),
  fingerprint: z.string().nullable(),
  uploadLimitKiBps: z.number().nullable().describe('KiB/s when no timetable window is in force; null: no limit'),
  uploadWindows: z.array(uploadWindowViewSchema).describe('weekly windows, local time; the first that covers a moment decides its limit'),
  remoteServerName: z.string().nullable(),
  status: z.string().nullable(),
  statusMessage: z.string().nullable(),
  lastContactAt: z.string().nullable(),
  lastSeenAt: z.string().nullable().describe('the last time the peer answered: the background health check (about every minute), a sync or a Test Connection'),
  createdAt: z.string(),
});

export const peerListSchema = z.object({ peers: z.array(peerSchema) });

export const testConnectionResultSchema = z.object({
  ok: z.boolean(),
  /** `OK`, or the error code of what failed (docs/troubleshooting.md); the UI switches on PEER_CERTIFICATE_CHANGED. */
  outcome: z.string(),
  message: z.string(),
  hint: z.string(),
  serverName: z.string().optional(),
  fingerprint: z.string().optional(),
  retryAfterSeconds: z.number().optional(),
});

/**
 * A new peer as the form sends it (POST /api/admin/peers). The server narrows
 * `address` (a host name or an IP address) and `fingerprint` (SHA-256, any
 * notation) further and normalises them (src/peers/peer-fields.ts).
 */
export const peerInputSchema = z.object({
  name: peerNameSchema,
  address: z.string(),
  port: peerPortSchema.default(DEFAULT_PEER_PORT),
  password: peerPasswordSchema.optional(),
  enabled: z.boolean().default(true),
  timeoutMinutes: peerTimeoutMinutesSchema.default(DEFAULT_PEER_TIMEOUT_MINUTES),
  fingerprint: z.string().nullable().default(null),
  uploadLimitKiBps: uploadLimitKiBpsSchema.nullable().default(null),
  uploadWindows: uploadWindowsSchema.default([]),
});

/** A change to a peer (PATCH /api/admin/peers/:id): a field left out stays; `password: null` removes the stored one. */
export const peerPatchSchema = z.object({
  name: peerNameSchema.optional(),
  address: z.string().optional(),
  port: peerPortSchema.optional(),
  password: peerPasswordSchema.nullable().optional(),
  enabled: z.boolean().optional(),
  timeoutMinutes: peerTimeoutMinutesSchema.optional(),
  fingerprint: z.string().nullable().optional(),
  uploadLimitKiBps: uploadLimitKiBpsSchema.nullable().optional(),
  uploadWindows: uploadWindowsSchema.optional(),
});
