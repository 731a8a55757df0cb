import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AnemoneError } from '../../errors/catalogue.js';
import { errorBody } from '../errors.js';

/**
 * GET /health: `OK` (text, as monitors and the install guide's curl expect)
 * when the server answers and so does its database; 503 with the catalogue's
 * JSON error when the database does not, so a monitor sees a server that
 * would fail every request.
 */
export function healthRoutes(deps: { ping: () => void }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/health', async (request, reply) => {
      try {
        deps.ping();
      } catch (error) {
        request.log.error({ err: error }, 'health check: the database does not answer');
        return reply.status(503).send(errorBody(new AnemoneError('DATABASE_UNAVAILABLE')));
      }
      return reply.type('text/plain').send('OK');
    });
  };
}
