import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { keepVersionsDaysSchema, syncSettingsSchema } from '../../contract/settings.js';
import type { SyncSettings } from '../../incoming/sync-settings.js';
import { requireAdmin } from '../session.js';


/**
 * Whether this server accepts incoming syncs, and its server password. The
 * password is write-only: GET says whether one is set, never what it is;
 * `password: null` removes it (sources then authenticate by certificate only).
 * `keepVersionsDays`: how long this server, as a peer, keeps history (docs/retention.md).
 */
export function syncSettingsRoutes(deps: { settings: SyncSettings; fingerprint: string; peerPort: () => number }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/settings/sync', { preHandler: requireAdmin, schema: { response: { 200: syncSettingsSchema } } }, async () => ({
      ...deps.settings.view(),
      fingerprint: deps.fingerprint,
      peerPort: deps.peerPort(),
    }));

    app.put(
      '/api/admin/settings/sync',
      {
        preHandler: requireAdmin,
        schema: {
          body: z.object({
            acceptIncoming: z.boolean().optional(),
            password: z.string().min(8, 'Use at least 8 characters').max(1024, 'Use at most 1024 characters').nullable().optional(),
            keepVersionsDays: keepVersionsDaysSchema.optional(),
          }),
          response: { 200: syncSettingsSchema },
        },
      },
      async (request) => ({ ...(await deps.settings.update(request.body)), fingerprint: deps.fingerprint, peerPort: deps.peerPort() }),
    );
  };
}
