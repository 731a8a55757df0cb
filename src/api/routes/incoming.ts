import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IncomingAdmin } from '../../incoming/incoming-admin.js';
import { requireAdmin } from '../session.js';
import { keepVersionsDaysSchema } from './sync-settings.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'Use lowercase letters, digits, "-" or "_"');

const shareSchema = z.object({
  user: z.string(),
  share: z.string(),
  fileCount: z.number(),
  bytesUsed: z.number(),
  lastReceivedAt: z.string().nullable(),
  generation: z.number().nullable(),
  versionBytes: z.number(),
  prunableBytes: z.number(),
});

const sourceSchema = z.object({
  name: z.string(),
  fingerprint: z.string().nullable(),
  pendingFingerprint: z.string().nullable(),
  fileCount: z.number(),
  bytesUsed: z.number(),
  lastReceivedAt: z.string().nullable(),
  versionBytes: z.number(),
  prunableBytes: z.number(),
  keepVersionsDays: z.number(),
  keepVersionsDaysOverride: z.number().nullable(),
  maxBytes: z.number().nullable(),
  shares: z.array(shareSchema),
});

/** Incoming backups, for the administrator: what each source stores here, deleting it, trusting a source's new certificate. */
export function incomingRoutes(deps: { admin: IncomingAdmin }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/admin/incoming',
      {
        preHandler: requireAdmin,
        schema: { response: { 200: z.object({ peerCount: z.number(), fileCount: z.number(), bytesUsed: z.number(), versionBytes: z.number(), sources: z.array(sourceSchema) }) } },
      },
      async () => deps.admin.overview(),
    );

    app.get(
      '/api/admin/incoming/:source',
      { preHandler: requireAdmin, schema: { params: z.object({ source: name }), response: { 200: sourceSchema } } },
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
          response: { 200: z.object({ deletedFiles: z.number(), deletedBytes: z.number() }) },
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
          body: z.object({
            keepVersionsDays: keepVersionsDaysSchema.nullable().optional(),
            maxBytes: z.number().int('Give a whole number of bytes').min(1, 'Give a quota above 0 bytes, or null for none').max(Number.MAX_SAFE_INTEGER).nullable().optional(),
          }),
          response: { 200: sourceSchema },
        },
      },
      async (request) => deps.admin.setLimits(request.params.source, request.body),
    );

    app.post(
      '/api/admin/incoming/:source/accept-certificate',
      { preHandler: requireAdmin, schema: { params: z.object({ source: name }), response: { 200: sourceSchema } } },
      async (request) => deps.admin.acceptCertificate(request.params.source),
    );
  };
}
