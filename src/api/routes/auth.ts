import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SessionService } from '../../accounts/session-service.js';
import type { SetupService } from '../../accounts/setup-service.js';
import { clearSessionCookie, currentUser, requireUser, sessionToken, setSessionCookie } from '../session.js';

const meSchema = z.object({ id: z.number(), username: z.string(), isAdmin: z.boolean(), serverName: z.string() });

/** Tries per address and username per minute before 429; generous for people, useless for guessing. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export function authRoutes(deps: { sessions: SessionService; setup: SetupService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/auth/login',
      {
        config: {
          rateLimit: {
            max: LOGIN_ATTEMPTS_PER_MINUTE,
            timeWindow: 60_000,
            // per address and account: one family member's typos do not lock out the others behind the same router
            keyGenerator: (request) => `${request.ip}|${String((request.body as { username?: unknown } | undefined)?.username ?? '')}`,
          },
        },
        schema: {
          body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024), remember: z.boolean().optional() }),
          response: { 200: z.object({ user: meSchema, expiresAt: z.string() }) },
        },
      },
      async (request, reply) => {
        const remember = request.body.remember ?? false;
        const { token, user, expiresAt } = await deps.sessions.login({ ...request.body, remember });
        setSessionCookie(reply, token, expiresAt, remember);
        return {
          user: { id: user.id, username: user.username, isAdmin: user.isAdmin, serverName: deps.setup.serverName() },
          expiresAt: expiresAt.toISOString(),
        };
      },
    );

    app.post('/api/auth/logout', async (request, reply) => {
      const token = sessionToken(request);
      if (token) deps.sessions.logout(token);
      clearSessionCookie(reply);
      return reply.status(204).send();
    });

    app.get('/api/auth/me', { preHandler: requireUser, schema: { response: { 200: meSchema } } }, async (request) => {
      const user = currentUser(request);
      return { id: user.id, username: user.username, isAdmin: user.isAdmin, serverName: deps.setup.serverName() };
    });
  };
}
