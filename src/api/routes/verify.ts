import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { usernameSchema } from '../../accounts/names.js';
import type { VerifyService } from '../../restore/verify.js';
import { LIST_BODY_LIMIT } from '../body-limits.js';
import { requireAdmin } from '../session.js';

const problemSchema = z.object({ code: z.string(), message: z.string(), hint: z.string() });

const shareReportSchema = z.object({
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

const jobSchema = z.object({
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
  shares: z.array(shareReportSchema),
  error: problemSchema.nullable(),
});

/**
 * Verify (administrator): checks what a peer holds against the manifests'
 * ciphertext hashes without downloading the backup, and optionally
 * downloads and decrypts a random sample of files per share. A job: start
 * it, then read its report.
 */
export function verifyRoutes(deps: { verify: VerifyService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/admin/verify',
      {
        preHandler: requireAdmin,
        bodyLimit: LIST_BODY_LIMIT,
        schema: {
          body: z.object({
            peerId: z.number().int().positive(),
            users: z.array(usernameSchema).min(1).max(10_000).optional(),
            sample: z.number().int().min(0).max(1000).optional(),
          }),
          response: { 202: jobSchema },
        },
      },
      async (request, reply) => reply.status(202).send(deps.verify.start(request.body)),
    );

    app.get(
      '/api/admin/verify/:jobId',
      { preHandler: requireAdmin, schema: { params: z.object({ jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }), response: { 200: jobSchema } } },
      async (request) => deps.verify.get(request.params.jobId),
    );
  };
}
