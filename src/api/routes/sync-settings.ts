import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SyncSettings } from '../../incoming/sync-settings.js';
import { requireAdmin } from '../session.js';

/** `fingerprint` and `peerPort`: what a peer's administrator enters and confirms to sync here. */
const settingsResponse = z.object({ acceptIncoming: z.boolean(), passwordSet: z.boolean(), keepVersionsDays: z.number().int(), fingerprint: z.string(), peerPort: z.number().int() });
/** Days a peer keeps replaced and deleted objects and old manifests: 0 (a mirror) to 10 years. */
export const keepVersionsDaysSchema = z.number().int('Give a whole number of days').min(0, 'Use 0 or more days').max(3650, 'Use at most 3650 days (10 years)');

/**
 * Whether this server accepts incoming syncs, and its server password. The
 * password is write-only: GET says whether one is set, never what it is;
 * `password: null` removes it (sources then authenticate by certificate only).
 * `keepVersionsDays`: how long this server, as a peer, keeps history (docs/retention.md).
 */
export function syncSettingsRoutes(deps: { settings: SyncSettings; fingerprint: string; peerPort: () => number }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/settings/sync', { preHandler: requireAdmin, schema: { response: { 200: settingsResponse } } }, async () => ({
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
          response: { 200: settingsResponse },
        },
      },
      async (request) => ({ ...(await deps.settings.update(request.body)), fingerprint: deps.fingerprint, peerPort: deps.peerPort() }),
    );
  };
}
