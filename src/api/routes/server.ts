import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SetupService } from '../../accounts/setup-service.js';
import { requireAdmin } from '../session.js';

/** This server's name and the certificate fingerprint peers pin, for the administrator to share out of band. */
export function serverRoutes(deps: { setup: SetupService; fingerprint: string; version: string }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/admin/server',
      { preHandler: requireAdmin, schema: { response: { 200: z.object({ serverName: z.string(), fingerprint: z.string(), version: z.string() }) } } },
      async () => ({ serverName: deps.setup.serverName(), fingerprint: deps.fingerprint, version: deps.version }),
    );
  };
}
