import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiTokenService } from '../../accounts/api-tokens.js';
import { AnemoneError } from '../../errors/catalogue.js';
import { FailureLimiter } from '../../incoming/failure-limiter.js';
import type { ServerMetrics } from '../../monitoring/metrics.js';
import { clientAddressKey } from '../client-address.js';

/** Wrong tokens an address may send in the window before it must wait: a misconfigured scraper is told (429) long before anyone could guess 256 bits. */
export const METRICS_TOKEN_FAILURES = 10;
export const METRICS_TOKEN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/**
 * GET /metrics, Prometheus's text format, for a Bearer API token of scope
 * `metrics` only: a session cookie does not open it (a browser tab must not
 * turn into a scraper), and the token opens nothing else.
 */
export function metricsRoutes(deps: { tokens: ApiTokenService; metrics: ServerMetrics }): FastifyPluginAsyncZod {
  return async (app) => {
    const failures = new FailureLimiter({ maxFailures: METRICS_TOKEN_FAILURES, windowMs: METRICS_TOKEN_FAILURE_WINDOW_MS });

    const authorize = (request: FastifyRequest, reply: FastifyReply) => {
      const address = clientAddressKey(request.ip);
      const wait = failures.retryAfterSeconds(address);
      if (wait > 0) {
        throw new AnemoneError('TOO_MANY_ATTEMPTS', {
          message: `Too many wrong API tokens from this address; try again in ${wait} s`,
          hint: "Check the token in the scraper's configuration (bearer_token_file), then wait for the time given in Retry-After.",
          details: { retryAfterSeconds: wait },
        });
      }
      try {
        deps.tokens.authorize(bearerToken(request), 'metrics');
      } catch (error) {
        // RFC 6750: the challenge says how to authenticate, and for a known token what it lacks
        if (error instanceof AnemoneError && error.code === 'API_TOKEN_INVALID') {
          failures.recordFailure(address);
          reply.header('www-authenticate', bearerToken(request) === undefined ? 'Bearer realm="anemone"' : 'Bearer realm="anemone", error="invalid_token"');
        }
        if (error instanceof AnemoneError && error.code === 'API_TOKEN_SCOPE') {
          reply.header('www-authenticate', 'Bearer realm="anemone", error="insufficient_scope", scope="metrics"');
        }
        throw error;
      }
    };

    app.get(
      '/metrics',
      {
        schema: {
          description:
            'Prometheus metrics in the text exposition format 0.0.4 (docs/metrics.md). Needs `Authorization: Bearer <token>` with an API token of scope `metrics` ' +
            '(POST /api/admin/tokens); a session cookie does not open it. 401 without a valid token, 403 for a token of another scope, 429 after repeated wrong tokens.',
          security: [{ apiToken: [] }],
        },
      },
      async (request, reply) => {
        authorize(request, reply);
        const text = await deps.metrics.exposition();
        return reply.header('cache-control', 'no-store').type(deps.metrics.contentType).send(text);
      },
    );
  };
}
