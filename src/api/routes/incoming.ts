import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { incomingDeletedSchema, incomingLimitsSchema, incomingOverviewSchema, incomingSourceSchema } from '../../contract/incoming.js';
import type { IncomingAdmin } from '../../incoming/incoming-admin.js';
import { requireAdmin } from '../session.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'Use lowercase letters, digits, "-" or "_"');

/** Incoming backups, for the administrator: what each source stores here, deleting it, trusting a source's new certificate. */
export function incomingRoutes(deps: { admin: IncomingAdmin }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/admin/incoming',
      {
        preHandler: requireAdmin,
        schema: { response: { 200: incomingOverviewSchema } },
      },
      async () => deps.admin.overview(),
    );

    app.get(
      '/api/admin/incoming/:source',
      { preHandler: requireAdmin, schema: { params: z.object({ source: name }), response: { 200: incomingSourceSchema } } },
      async (request) => deps.admin.source(request.params.source),
    );

    app.delete(
      '/api/admin/incoming/:source',
      {
        preHandler: requireAdmin,
        schema: {
          params: z.object({ source: name }),
          querystring: z
            .object({ user: name.optional(), share: name.optional() })
            .refine((query) => query.share === undefined || query.user !== undefined, { message: 'Name the user of the share too', path: ['user'] }),
          response: { 200: incomingDeletedSchema },
        },
      },
      async (request) => deps.admin.delete({ source: request.params.source, user: request.query.user, share: request.query.share }),
    );

    app.patch(
      '/api/admin/incoming/:source',
      {
        preHandler: requireAdmin,
        schema: {
          params: z.object({ source: name }),
          body: incomingLimitsSchema,
          response: { 200: incomingSourceSchema },
        },
      },
      async (request) => deps.admin.setLimits(request.params.source, request.body),
    );

    app.post(
      '/api/admin/incoming/:source/accept-certificate',
      { preHandler: requireAdmin, schema: { params: z.object({ source: name }), response: { 200: incomingSourceSchema } } },
      async (request) => deps.admin.acceptCertificate(request.params.source),
    );
  };
}
