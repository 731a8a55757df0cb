import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Repositories } from '../../db/index.js';
import { buildDashboard } from '../../monitoring/dashboard.js';
import type { PeerService } from '../../peers/peer-service.js';
import { currentUser, requireUser } from '../session.js';

const dashboardSchema = z.object({
  shares: z.array(
    z.object({
      id: z.number(),
      user: z.string(),
      name: z.string(),
      syncEnabled: z.boolean(),
      lastSuccessfulSyncAt: z.string().nullable(),
      /** Files the share's last run left out; the list is at GET /api/admin/sync/logs/:logId. */
      notBackedUp: z.object({ count: z.number(), logId: z.number(), peer: z.string(), finishedAt: z.string() }).nullable(),
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

export function dashboardRoutes(deps: { repos: Pick<Repositories, 'shares' | 'syncLogs' | 'users'>; peers: PeerService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/dashboard', { preHandler: requireUser, schema: { response: { 200: dashboardSchema } } }, async (request) =>
      buildDashboard(currentUser(request), deps),
    );
  };
}
