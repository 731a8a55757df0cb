import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { errorCatalogue } from '../errors/catalogue.js';
import type { AnemoneApp } from './types.js';

export const OPENAPI_PATH = '/api/docs/openapi.json';

/**
 * The API reference, generated from the route schemas (never written by
 * hand): served at OPENAPI_PATH and written to docs/openapi.json by
 * `npm run openapi`. Register before the routes, so every route is seen.
 */
export async function registerOpenApi(app: AnemoneApp, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Anemone API',
        version,
        description:
          'JSON API of an Anemone server. Browser sessions and scripts sign in with POST /api/auth/login and send the `anemone_session` cookie. ' +
          'Errors are `{"error": {"code", "message", "hint"}}`; the codes are listed in `x-error-codes` and in docs/troubleshooting.md.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'anemone_session' },
          // API tokens (POST /api/admin/tokens): each opens its scope only, GET /metrics for `metrics`
          apiToken: { type: 'http', scheme: 'bearer' },
        },
      },
      // the error catalogue travels with the reference, so a client can map every code
      ...({ 'x-error-codes': errorCatalogue } as Record<string, unknown>),
    },
    transform: jsonSchemaTransform,
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
