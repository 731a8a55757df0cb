import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verifyJobSchema } from '../../contract/recovery.js';
import { usernameSchema } from '../../accounts/names.js';
import type { VerifyService } from '../../restore/verify.js';
import { LIST_BODY_LIMIT } from '../body-limits.js';
import { requireAdmin } from '../session.js';

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
          response: { 202: verifyJobSchema },
        },
      },
      async (request, reply) => reply.status(202).send(deps.verify.start(request.body)),
    );

    app.get(
      '/api/admin/verify/:jobId',
      { preHandler: requireAdmin, schema: { params: z.object({ jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }), response: { 200: verifyJobSchema } } },
      async (request) => deps.verify.get(request.params.jobId),
    );
  };
}
