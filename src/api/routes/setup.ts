import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { setupResultSchema, setupStateSchema } from '../../contract/accounts.js';
import { passwordSchema, serverNameSchema, usernameSchema } from '../../accounts/names.js';
import type { SessionService } from '../../accounts/session-service.js';
import type { SetupService } from '../../accounts/setup-service.js';
import { AnemoneError } from '../../errors/catalogue.js';
import { setSessionCookie } from '../session.js';

export function setupRoutes(deps: { setup: SetupService; sessions: SessionService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/setup', { schema: { response: { 200: setupStateSchema } } }, async () => ({
      setUp: deps.setup.isSetUp(),
    }));

    app.post(
      '/api/setup',
      {
        // refused before the body is read once set up; setup() checks again, atomically
        onRequest: async () => {
          if (deps.setup.isSetUp()) throw new AnemoneError('ALREADY_SET_UP');
        },
        schema: {
          body: z.object({ serverName: serverNameSchema, username: usernameSchema, password: passwordSchema }),
          response: { 201: setupResultSchema },
        },
      },
      async (request, reply) => {
        const { userId, encryptionKey } = await deps.setup.setup(request.body);
        // the new administrator is signed in straight away
        const session = deps.sessions.startSession(userId, false);
        setSessionCookie(reply, session.token, session.expiresAt, false);
        return reply
          .status(201)
          .send({ serverName: request.body.serverName, username: request.body.username, encryptionKey: encryptionKey.base64, encryptionKeyGrouped: encryptionKey.grouped });
      },
    );
  };
}
