import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiTokenSchema, createdApiTokenSchema } from '../../contract/accounts.js';
import { type ApiTokenService, apiTokenNameSchema, apiTokenScopeSchema } from '../../accounts/api-tokens.js';
import { currentUser, requireAdmin } from '../session.js';

/** Administrators make, list and revoke API tokens; a token itself never opens these routes. */
export function tokenRoutes(deps: { tokens: ApiTokenService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/tokens', { preHandler: requireAdmin, schema: { response: { 200: z.object({ tokens: z.array(apiTokenSchema) }) } } }, async () => ({
      tokens: deps.tokens.list(),
    }));

    app.post(
      '/api/admin/tokens',
      {
        preHandler: requireAdmin,
        schema: {
          body: z.object({ name: apiTokenNameSchema, scope: apiTokenScopeSchema }),
          response: { 201: createdApiTokenSchema },
        },
      },
      async (request, reply) => {
        const { token, secret } = deps.tokens.create(request.body);
        // who gave access to what, for the administrator reading the log later (never the secret)
        request.log.info({ tokenId: token.id, name: token.name, scope: token.scope, by: currentUser(request).username }, 'API token created');
        return reply.status(201).send({ ...token, token: secret });
      },
    );

    app.delete(
      '/api/admin/tokens/:id',
      { preHandler: requireAdmin, schema: { params: z.object({ id: z.coerce.number().int().positive() }) } },
      async (request, reply) => {
        deps.tokens.revoke(request.params.id);
        request.log.info({ tokenId: request.params.id, by: currentUser(request).username }, 'API token revoked');
        return reply.status(204).send();
      },
    );
  };
}
