import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loginResultSchema, meSchema, passwordChangedSchema } from '../../contract/accounts.js';
import { passwordSchema } from '../../accounts/names.js';
import type { SessionService } from '../../accounts/session-service.js';
import type { SetupService } from '../../accounts/setup-service.js';
import type { UserService } from '../../accounts/user-service.js';
import { AnemoneError } from '../../errors/catalogue.js';
import { clientAddressKey } from '../client-address.js';
import { clearSessionCookie, currentUser, requireUser, sessionToken, setSessionCookie } from '../session.js';
import { SignInSlots } from '../sign-in-slots.js';

/** Tries per address and username per minute before 429; generous for people, useless for guessing. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;
/** Tries per address per minute whatever the usernames: made-up names do not escape the limit. */
export const LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE = 20;
/** Sign-ins of one address checked at once (two people behind one router); more are refused, not queued. */
export const SIGN_INS_CHECKED_AT_ONCE_PER_ADDRESS = 2;
/** The sign-in form's body: a username, a password of at most 1024 characters, a flag. */
const LOGIN_BODY_LIMIT = 8 * 1024;

type Limiter = (request: FastifyRequest) => Promise<{ isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttlInSeconds: number }>;

/** A pre-handler answering 429 with Retry-After once `limiter` says the key is over its limit. */
export function refuseOverLimit(limiter: Limiter, message: (retryAfterSeconds: number) => string) {
  return async (request: FastifyRequest): Promise<void> => {
    const limit = await limiter(request);
    if (!limit.isAllowed && limit.isExceeded) {
      throw new AnemoneError('TOO_MANY_ATTEMPTS', { message: message(limit.ttlInSeconds), details: { retryAfterSeconds: limit.ttlInSeconds } });
    }
  };
}

export function authRoutes(deps: { sessions: SessionService; setup: SetupService; users: UserService }): FastifyPluginAsyncZod {
  return async (app) => {
    const slots = new SignInSlots(SIGN_INS_CHECKED_AT_ONCE_PER_ADDRESS);
    // per address and account, once the body is read: one family member's typos do not lock out the others behind the same router
    const perAccount = app.createRateLimit({
      max: LOGIN_ATTEMPTS_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: (request) => `login|${clientAddressKey(request.ip)}|${String((request.body as { username?: unknown } | undefined)?.username ?? '')}`,
    });
    const limitPerAccount = refuseOverLimit(perAccount, (seconds) => `Too many sign-in attempts for this account from this address; try again in ${seconds} s`);

    app.post(
      '/api/auth/login',
      {
        bodyLimit: LOGIN_BODY_LIMIT,
        // per address, before the body is read
        config: { rateLimit: { max: LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE, timeWindow: 60_000 } },
        preHandler: limitPerAccount,
        schema: {
          body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024), remember: z.boolean().optional() }),
          response: { 200: loginResultSchema },
        },
      },
      async (request, reply) => {
        const remember = request.body.remember ?? false;
        const { token, user, expiresAt } = await slots.run(clientAddressKey(request.ip), () => deps.sessions.login({ ...request.body, remember }));
        setSessionCookie(reply, token, expiresAt, remember);
        return {
          user: { id: user.id, username: user.username, isAdmin: user.isAdmin, serverName: deps.setup.serverName() },
          expiresAt: expiresAt.toISOString(),
        };
      },
    );

    // a password check like a sign-in's: the same limits, per address and per account, and the same hashing slots
    const perUser = app.createRateLimit({
      max: LOGIN_ATTEMPTS_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: (request) => `password|${clientAddressKey(request.ip)}|${String(request.user?.id ?? '')}`,
    });
    app.post(
      '/api/auth/password',
      {
        bodyLimit: LOGIN_BODY_LIMIT,
        config: { rateLimit: { max: LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE, timeWindow: 60_000 } },
        preHandler: [requireUser, refuseOverLimit(perUser, (seconds) => `Too many password changes tried for this account; try again in ${seconds} s`)],
        schema: {
          body: z.object({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema }),
          response: { 200: passwordChangedSchema },
        },
      },
      async (request) => {
        const user = currentUser(request);
        const { sessionsEnded } = await slots.run(clientAddressKey(request.ip), () =>
          deps.users.changePassword({ userId: user.id, ...request.body, keptSessionToken: sessionToken(request) ?? '' }),
        );
        request.log.info({ user: user.username, otherSessionsEnded: sessionsEnded }, 'password changed by its user');
        return { otherSessionsEnded: sessionsEnded };
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
