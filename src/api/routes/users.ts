import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { passwordSchema, usernameSchema } from '../../accounts/names.js';
import type { UserService } from '../../accounts/user-service.js';
import { currentUser, requireAdmin } from '../session.js';

const userSchema = z.object({
  id: z.number(),
  username: z.string(),
  isAdmin: z.boolean(),
  activated: z.boolean(),
  activationExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  /** An administrator marked the account as awaiting the key its user kept (POST /api/admin/users/:id/awaiting-key). */
  awaitingKey: z.boolean(),
});

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
          response: { 201: userSchema.extend({ activationToken: z.string() }) },
        },
      },
      async (request, reply) => {
        const { user, activationToken } = await deps.users.create({ username: request.body.username, isAdmin: request.body.isAdmin ?? false });
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
          response: { 200: z.object({ username: z.string(), encryptionKey: z.string() }) },
        },
      },
      async (request, reply) => {
        // the key is in this response only: never cache it anywhere
        reply.header('cache-control', 'no-store');
        return deps.users.activate(request.body);
      },
    );
  };
}
