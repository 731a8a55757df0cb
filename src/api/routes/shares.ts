import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { shareSchema } from '../../contract/shares.js';
import type { SyncLogsRepo } from '../../db/index.js';
import type { ShareService } from '../../shares/share-service.js';
import { currentUser, requireUser } from '../session.js';

export function shareRoutes(deps: { shares: ShareService; syncLogs: SyncLogsRepo }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/shares', { preHandler: requireUser, schema: { response: { 200: z.object({ shares: z.array(shareSchema) }) } } }, async (request) => {
      const shares = await deps.shares.listForUser(currentUser(request).id);
      const lastSuccess = deps.syncLogs.lastSuccessByShare();
      return {
        shares: shares.map(({ id, name, syncEnabled, fileCount, sizeBytes }) => ({
          id,
          name,
          syncEnabled,
          fileCount,
          sizeBytes,
          lastSuccessfulSyncAt: lastSuccess.get(id) ?? null,
        })),
      };
    });
  };
}
