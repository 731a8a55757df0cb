import type { Readable } from 'node:stream';

/**
 * The chunks of an upload. Stopping early (a limit, a bad hash) must not
 * destroy the body: that would reset the connection before the source reads
 * the error. The caller's transport drains what is left instead.
 */
export function bodyChunks(body: Readable): AsyncIterable<Buffer> {
  return body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
}
