import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activationResultSchema, createdUserSchema, userSchema } from '../../contract/accounts.js';
import { passwordSchema, usernameSchema } from '../../accounts/names.js';
import type { UserService } from '../../accounts/user-service.js';
import { currentUser, requireAdmin } from '../session.js';

export function userRoutes(deps: { users: UserService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/users', { preHandler: requireAdmin, schema: { response: { 200: z.object({ users: z.array(userSchema) }) } } }, async () => ({
      users: deps.users.list(),
    }));

    app.post(
      '/api/admin/users',
      {
        preHandler: requireAdmin,
        schema: {
          body: z.object({ username: usernameSchema, isAdmin: z.boolean().optional() }),
          response: { 201: createdUserSchema },
        },
      },
      async (request, reply) => {
        const { user, activationToken } = await deps.users.create({ username: request.body.username, isAdmin: request.body.isAdmin ?? false });
        return reply.status(201).send({ ...user, activationToken });
      },
    );

    app.post(
      '/api/admin/users/:id/activation',
      {
        preHandler: requireAdmin,
        schema: {
          params: z.object({ id: z.coerce.number().int().positive() }),
          response: { 201: createdUserSchema },
        },
      },
      async (request, reply) => {
        const { user, activationToken } = deps.users.issueActivationLink(request.params.id);
        request.log.info({ user: user.username, by: currentUser(request).username, active: user.activated }, 'new activation link issued');
        reply.header('cache-control', 'no-store');
        return reply.status(201).send({ ...user, activationToken });
      },
    );

    app.delete(
      '/api/admin/users/:id',
      { preHandler: requireAdmin, schema: { params: z.object({ id: z.coerce.number().int().positive() }) } },
      async (request, reply) => {
        deps.users.delete(request.params.id, currentUser(request).id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/api/activate',
      {
        config: { rateLimit: { max: 10, timeWindow: 60_000 } },
        schema: {
          body: z.object({ token: z.string().min(1).max(256), password: passwordSchema }),
          response: {
            200: activationResultSchema,
          },
        },
      },
      async (request, reply) => {
        // the key is in this response only: never cache it anywhere
        reply.header('cache-control', 'no-store');
        const outcome = await deps.users.activate(request.body);
        if (outcome.kind === 'password-reset') {
          request.log.info({ user: outcome.username }, 'password reset with an activation link; every session of the user ended');
          return { username: outcome.username, keyUnchanged: true as const };
        }
        return { username: outcome.username, keyUnchanged: false as const, encryptionKey: outcome.encryptionKey.base64, encryptionKeyGrouped: outcome.encryptionKey.grouped };
      },
    );
  };
}
