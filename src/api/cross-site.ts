import type { FastifyRequest } from 'fastify';
import { AnemoneError } from '../errors/catalogue.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * onRequest: a state-changing request sent by a page of another site is
 * refused, whatever its body, so the SameSite=Strict cookie is not the only
 * defence against a forged request. A request with no Origin (curl, scripts,
 * the CLI) is not a browser's cross-site one and passes; so does the peer
 * protocol, server to server.
 */
export async function refuseCrossSite(request: FastifyRequest): Promise<void> {
  if (!STATE_CHANGING.has(request.method) || request.url.startsWith('/api/sync/')) return;
  if (request.headers['sec-fetch-site'] === 'cross-site') throw crossSite('another site');
  const origin = request.headers.origin;
  if (origin === undefined) return;
  // scheme, host and port: a page of another port, or another name for this server, is another origin.
  // Behind a reverse proxy the browser's scheme and host are the proxy's X-Forwarded-Proto and -Host,
  // which fastify believes only from a proxy ANEMONE_TRUST_PROXY names; from anyone else they are ignored
  if (originOf(origin) !== `${request.protocol}://${request.host.toLowerCase()}`) throw crossSite(origin === 'null' ? 'a page with no origin' : origin);
}

function originOf(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return `${url.protocol.replace(/:$/, '')}://${url.host.toLowerCase()}`;
  } catch {
    return undefined;
  }
}

function crossSite(from: string): AnemoneError {
  return new AnemoneError('CROSS_SITE_REQUEST', { message: `Refused a request sent from ${from.slice(0, 200)}, not from this server's own pages` });
}
