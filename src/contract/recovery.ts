import { z } from 'zod';
import { DEFAULT_PEER_PORT, peerPasswordSchema, peerPortSchema } from './peers.js';
import { problemSchema } from './restore.js';

/** The server recovery kit: whether one was made, and the sealed copies kept on peers (GET /api/admin/recovery-kit). */
export const recoveryKitStatusSchema = z.object({
  configured: z.boolean(),
  createdAt: z.string().nullable(),
  peers: z.array(
    z.object({
      peerId: z.number(),
      peerName: z.string(),
      ok: z.boolean(),
      pushedAt: z.string().nullable(),
      error: z.string().nullable(),
      hint: z.string().nullable(),
      pending: z.boolean().describe('the current kit is on its way to this peer (just made or changed): wait for it'),
    }),
  ),
});

/** A peer's identity, read before a rebuild from it. */
export const peerIdentitySchema = z.object({ serverName: z.string(), fingerprint: z.string() });

/** A server rebuilt from its recovery kit (POST /api/setup/restore): it must be restarted. */
export const rebuildResultSchema = z.object({
  serverName: z.string(),
  fingerprint: z.string(),
  users: z.array(z.string()),
  peers: z.array(z.string()),
  shares: z.number(),
  automaticSyncPaused: z.boolean(),
  restartRequired: z.boolean(),
  message: z.string(),
});

/** One share of a verify report (GET /api/admin/verify/:jobId). */
export const verifyShareReportSchema = z.object({
  user: z.string(),
  share: z.string(),
  status: z.enum(['ok', 'problems', 'no-backup', 'error']),
  generation: z.number().nullable(),
  files: z.number(),
  okCount: z.number(),
  missingCount: z.number(),
  alteredCount: z.number(),
  extraCount: z.number(),
  missing: z.array(z.string()),
  altered: z.array(z.string()),
  extra: z.array(z.string()),
  sample: z.object({ checked: z.number(), ok: z.number(), failed: z.array(z.object({ path: z.string(), reason: z.string() })) }),
  error: problemSchema.nullable(),
});

export const verifyJobSchema = z.object({
  id: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  peerId: z.number(),
  peerName: z.string(),
  sample: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  sharesDone: z.number(),
  sharesTotal: z.number(),
  ok: z.boolean().nullable(),
  shares: z.array(verifyShareReportSchema),
  error: problemSchema.nullable(),
});

/** A rebuild from a kit file the administrator uploads (base64 inside JSON). */
export const rebuildFromKitSchema = z.strictObject({ passphrase: z.string().min(1).max(1024), kit: z.string().min(1) });

/**
 * A rebuild from the sealed kit a peer keeps. The server narrows the peer's
 * address and fingerprint and the server name further (src/api/routes/recovery.ts).
 */
export const rebuildFromPeerSchema = z.strictObject({
  passphrase: z.string().min(1).max(1024),
  serverName: z.string(),
  peer: z.object({ address: z.string(), port: peerPortSchema.default(DEFAULT_PEER_PORT), password: peerPasswordSchema, fingerprint: z.string() }),
});
