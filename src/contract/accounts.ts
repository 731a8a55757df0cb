import { z } from 'zod';

/** The signed-in user (GET /api/auth/me). */
export const meSchema = z.object({ id: z.number(), username: z.string(), isAdmin: z.boolean(), serverName: z.string() });

export const loginResultSchema = z.object({ user: meSchema, expiresAt: z.string() });

export const passwordChangedSchema = z.object({ otherSessionsEnded: z.number() });

export const setupStateSchema = z.object({ setUp: z.boolean() });

/** A user key as shown once: base64, and the same key in groups of characters that cannot be confused on paper. */
export const shownKeySchema = z.object({ encryptionKey: z.string(), encryptionKeyGrouped: z.string() });
const shownKey = shownKeySchema.shape;

export const setupResultSchema = z.object({ serverName: z.string(), username: z.string(), ...shownKey });

/** A new account gets its key; an active account's reset link sets a new password and keeps the key, not shown again. */
export const activationResultSchema = z.union([
  z.object({ username: z.string(), keyUnchanged: z.literal(false), ...shownKey }),
  z.object({ username: z.string(), keyUnchanged: z.literal(true) }),
]);

export const userSchema = z.object({
  id: z.number(),
  username: z.string(),
  isAdmin: z.boolean(),
  activated: z.boolean(),
  activationExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  /** An administrator marked the account as awaiting the key its user kept (POST /api/admin/users/:id/awaiting-key). */
  awaitingKey: z.boolean(),
});

export const createdUserSchema = userSchema.extend({ activationToken: z.string() });

/** Whether the user's key is here, or an administrator marked the account as awaiting it. */
export const keyStatusSchema = z.object({ hasKey: z.boolean(), awaitingKey: z.boolean() });

export const keyEnteredSchema = z.object({ replaced: z.boolean(), verifiedOn: z.array(z.string()), unreachable: z.array(z.string()) });

/** What an API token may open: `metrics` opens GET /metrics and nothing else. */
export const API_TOKEN_SCOPES = ['metrics'] as const;

export const apiTokenSchema = z.object({
  id: z.number(),
  name: z.string(),
  scope: z.string().describe('what the token opens: `metrics` (GET /metrics)'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe('to the minute'),
});

export const createdApiTokenSchema = apiTokenSchema.extend({ token: z.string().describe('the secret, `anm_…`: shown in this answer only, never again') });
