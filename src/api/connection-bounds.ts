import type { FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route's own deadline for its body, when the web default does not fit (a recovery kit on a slow link). */
    bodyTimeoutMs?: number;
    /** This route streams its body for as long as it moves (a WebDAV upload): only the idle bound applies, as for the peer protocol. */
    streamsBody?: boolean;
  }
}

/**
 * How long a client may hold a connection without making progress. The web
 * API and the peer protocol share one port, and the peer protocol streams
 * uploads for hours over slow links: so the server-wide bounds are about
 * inactivity and headers only, and the bound on a whole body applies to the
 * web API alone.
 */
export interface ConnectionBounds {
  /** A TLS handshake must finish within this. */
  handshakeTimeoutMs: number;
  /** A request's headers must all arrive within this (slow-header clients). */
  headersTimeoutMs: number;
  /** A connection idle between requests is closed after this. */
  keepAliveTimeoutMs: number;
  /**
   * A connection on which nothing moves, either way, is closed after this.
   * As long as the peers' own silence limit (30 minutes by default): a
   * transfer that keeps moving is never cut.
   */
  idleTimeoutMs: number;
  /** A web API request's body (not the peer protocol's) must have arrived within this. */
  webBodyTimeoutMs: number;
  /** How often Node looks for requests past `headersTimeoutMs`: the bound is reached within this much more. */
  checkIntervalMs: number;
}

export const DEFAULT_CONNECTION_BOUNDS: ConnectionBounds = {
  handshakeTimeoutMs: 20_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 15_000,
  idleTimeoutMs: 30 * 60_000,
  webBodyTimeoutMs: 60_000,
  checkIntervalMs: 5_000,
};

/** The peer protocol (server to server): its own limits, its uploads streamed for as long as they move. */
export function isPeerProtocol(url: string): boolean {
  return url.startsWith('/api/sync/');
}

/** A body announced and not yet read to its end. */
function bodyPending(request: FastifyRequest): boolean {
  const headers = request.headers;
  const announced = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  return announced && !request.raw.complete;
}

/** onRequest: a web API body that has not all arrived after `timeoutMs` (or the route's own) is cut (the connection closed). */
export function webBodyDeadline(timeoutMs: number) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isPeerProtocol(request.url) || request.routeOptions.config?.streamsBody === true || !bodyPending(request)) return;
    const deadline = request.routeOptions.config?.bodyTimeoutMs ?? timeoutMs;
    const timer = setTimeout(() => {
      request.log.warn({ url: request.url, ip: request.ip }, 'request body too slow: connection closed');
      request.raw.socket.destroy();
    }, deadline);
    timer.unref();
    const clear = () => clearTimeout(timer);
    request.raw.once('end', clear);
    request.raw.once('close', clear);
    reply.raw.once('close', clear);
  };
}

/** Answers after which the rest of a body is of no use: the caller may not send it, or not this much. */
const REFUSALS = new Set([401, 403, 413, 429]);

/**
 * onSend: an error answered before the body was all read closes the
 * connection instead of reading (and dropping) the rest, which could be
 * gigabytes: always after a refusal, and after any error on a body nobody
 * started reading. (The peer protocol drains the rest after other failures
 * part way through an upload, so the connection stays usable.)
 */
export async function closeOnUnreadBody(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (reply.statusCode < 400 || !bodyPending(request)) return;
  if (REFUSALS.has(reply.statusCode) || request.raw.readableFlowing !== true) reply.header('connection', 'close');
}
