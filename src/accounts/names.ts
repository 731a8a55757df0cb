import { z } from 'zod';

/** Names end up as folder names (shares/<user>/<share>, incoming/<source>/…), so they are kept boring. */
const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export const usernameSchema = z
  .string()
  .regex(NAME_PATTERN, 'Use 1–32 lowercase letters, digits, "-" or "_", starting with a letter or digit');

export const shareNameSchema = usernameSchema;

export const serverNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'Use 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit');

export const passwordSchema = z
  .string()
  .min(8, 'Use at least 8 characters')
  .max(1024, 'Use at most 1024 characters');

/** The shares every user gets: `backup` is encrypted and synced to peers, `data` never leaves the server. */
export const DEFAULT_SHARES = [
  { name: 'backup', syncEnabled: true },
  { name: 'data', syncEnabled: false },
] as const;
