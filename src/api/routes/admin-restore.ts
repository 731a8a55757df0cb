import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { restoreJobSchema, restoreJobsSchema, restoreStartedSchema } from '../../contract/restore.js';
import { bulkJobView } from '../../restore/restore-job.js';
import type { RestoreService } from '../../restore/restore-service.js';
import { LIST_BODY_LIMIT } from '../body-limits.js';
import { currentUser, requireAdmin } from '../session.js';

/** Bulk restore after a disaster: users' whole backups from one peer back into their shares. */
export function adminRestoreRoutes(deps: { restore: RestoreService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/admin/restore',
      {
        preHandler: requireAdmin,
        bodyLimit: LIST_BODY_LIMIT,
        schema: {
          body: z.object({
            peerId: z.number().int().positive(),
            users: z.array(z.string().min(1).max(64)).min(1).max(10_000),
            at: z.iso.datetime({ offset: true }).optional().describe("each share as it was at this time: from the peer's latest snapshot at or before it"),
          }),
          response: { 202: restoreStartedSchema },
        },
      },
      async (request, reply) => {
        const job = deps.restore.bulkRestore(currentUser(request), request.body.peerId, request.body.users, request.body.at === undefined ? undefined : new Date(request.body.at));
        return reply.status(202).send({ jobId: job.id });
      },
    );

    // every restore job, the users' own included: an administrator sees what writes into shares
    app.get('/api/admin/restore', { preHandler: requireAdmin, schema: { response: { 200: restoreJobsSchema } } }, async () => ({
      jobs: deps.restore.allJobs().map(bulkJobView),
    }));

    app.post(
      '/api/admin/restore/:jobId/cancel',
      { preHandler: requireAdmin, schema: { params: z.object({ jobId: z.string().max(100) }), response: { 200: restoreJobSchema } } },
      async (request) => bulkJobView(await deps.restore.cancelJob(request.params.jobId, currentUser(request))),
    );

    app.get(
      '/api/admin/restore/:jobId',
      { preHandler: requireAdmin, schema: { params: z.object({ jobId: z.string().max(100) }), response: { 200: restoreJobSchema } } },
      async (request) => bulkJobView(deps.restore.job(request.params.jobId)),
    );
  };
}
