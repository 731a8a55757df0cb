import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminHistorySchema, historySchema } from '../../contract/dashboard.js';
import type { HistoryStats } from '../../monitoring/history-stats.js';
import { currentUser, requireAdmin, requireUser } from '../session.js';

const daysQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(90).describe('How many UTC days back, today included') });

/** History at a glance: share sizes, bytes sent per day, free space, and what peers store here. */
export function statsRoutes(deps: { stats: HistoryStats }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/stats/history', { preHandler: requireAdmin, schema: { querystring: daysQuery, response: { 200: adminHistorySchema } } }, async (request) => ({
      ...deps.stats.history(request.query.days),
      disks: await deps.stats.disks(),
      incoming: deps.stats.incomingUse(),
    }));

    // My backup: the user's own shares and runs only
    app.get('/api/stats/history', { preHandler: requireUser, schema: { querystring: daysQuery, response: { 200: historySchema } } }, async (request) =>
      deps.stats.history(request.query.days, currentUser(request).id),
    );
  };
}
