import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HistoryStats } from '../../monitoring/history-stats.js';
import { currentUser, requireAdmin, requireUser } from '../session.js';

const daysQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(90).describe('How many UTC days back, today included') });

const historySchema = z.object({
  since: z.string().describe('The first UTC day covered, YYYY-MM-DD'),
  shares: z.array(
    z.object({
      shareId: z.number(),
      user: z.string(),
      share: z.string(),
      samples: z.array(z.object({ day: z.string(), files: z.number(), bytes: z.number().describe('Plaintext bytes the scan found') })).describe('One per UTC day a sync scanned the share'),
    }),
  ),
  bytesSentPerDay: z.array(z.object({ day: z.string(), bytes: z.number().describe('Encrypted bytes the runs started that day sent'), runs: z.number() })).describe('Days without runs are absent'),
});

const adminHistorySchema = historySchema.extend({
  disks: z.array(
    z.object({ folder: z.enum(['shares', 'incoming']), freeBytes: z.number(), totalBytes: z.number() }).describe('Free space of the file system holding that folder'),
  ),
  incoming: z.array(
    z.object({ source: z.string(), bytesStored: z.number().describe('Current files and history stored for that peer'), maxBytes: z.number().nullable().describe('Its quota; null: none') }),
  ),
});

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
