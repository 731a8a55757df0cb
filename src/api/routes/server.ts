import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { serverInfoSchema } from '../../contract/settings.js';
import type { SetupService } from '../../accounts/setup-service.js';
import { requireAdmin } from '../session.js';

/**
 * This server's name, the certificate fingerprint peers pin and the port they
 * connect to (ANEMONE_PEER_PORT when set), for the administrator to share out of band.
 */
export function serverRoutes(deps: { setup: SetupService; fingerprint: string; peerPort: () => number; version: string }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/admin/server',
      { preHandler: requireAdmin, schema: { response: { 200: serverInfoSchema } } },
      async () => ({ serverName: deps.setup.serverName(), fingerprint: deps.fingerprint, peerPort: deps.peerPort(), version: deps.version }),
    );
  };
}
