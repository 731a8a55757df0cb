import type { IncomingMessage, ServerResponse } from 'node:http';
import type { v2 as webdav } from 'webdav-server';
import type { createDavServer } from './dav-server-factory.js';
import { loadOnFirstUse } from '../util/load-on-first-use.js';

/** Where WebDAV is served (PRODUCT.md §10). */
export const DAV_ROOT = '/dav';

/**
 * Headers on every WebDAV answer. A file in a share is served from this
 * server's own origin, so an HTML file opened in a browser must not run as
 * one of the UI's pages: sandboxed, no script, no sniffing. WebDAV clients
 * ignore all three.
 */
const DAV_HEADERS = {
  'content-security-policy': "default-src 'none'; sandbox",
  'x-content-type-options': 'nosniff',
  'cache-control': 'private, no-cache',
};

/** The library's CORS headers (any origin, with credentials): no page of another site may use a user's files. */
const REFUSED_HEADER_PREFIX = 'access-control-';

/**
 * One webdav-server per user, made on their first request and kept while
 * the process runs: each has the user's folder as its root (so no path can
 * name another user's files) and its own locks. The user is already
 * authenticated by the caller (src/api/routes/dav.ts); the library's own
 * authentication only hands that user on.
 */
export class DavServers {
  /** The WebDAV library, loaded by the first WebDAV request. */
  private readonly factory = loadOnFirstUse('WebDAV (the webdav-server package)', () => import('./dav-server-factory.js'));
  private readonly servers = new Map<number, { username: string; server: webdav.WebDAVServer }>();

  constructor(
    private readonly userFolder: (username: string) => string,
    /** Logs a file system error that is no refusal (the client gets 500); never given a password. */
    private readonly logFailure: (details: { user: string; error: Error }) => void,
  ) {}

  /**
   * What answers the requests of `user`, once the library is loaded (the
   * first call loads it; PART_NOT_LOADED when it cannot). The answer takes a
   * request whose `request.url` still starts with /dav.
   */
  async forUser(user: { id: number; username: string }): Promise<(request: IncomingMessage, response: ServerResponse) => void> {
    const { createDavServer } = await this.factory();
    const server = this.serverFor(user, createDavServer);
    return (request, response) => handle(server, request, response);
  }

  private serverFor(user: { id: number; username: string }, create: typeof createDavServer): webdav.WebDAVServer {
    const kept = this.servers.get(user.id);
    if (kept?.username === user.username) return kept.server;
    const server = create(user, this.userFolder(user.username), (error) => this.logFailure({ user: user.username, error }), DAV_HEADERS);
    this.servers.set(user.id, { username: user.username, server });
    return server;
  }
}

function handle(server: webdav.WebDAVServer, request: IncomingMessage, response: ServerResponse): void {
  hideHeaders(response);
  // webdav-server 2.6.3 evaluates an If header wrongly: an untagged list, as Windows sends after a LOCK
  // (`If: (<token>)`), never answers (the request hangs), and a tagged one always passes. Its locks only
  // ever hold back another user, and each user has a server of their own, so an If header decides nothing
  // here; only a LOCK refresh needs it (to name the lock).
  if (request.method !== 'LOCK') delete request.headers.if;
  // the library expects the URL below its mount point, as a mounted router does
  request.url = (request.url ?? '').slice(DAV_ROOT.length) || '/';
  try {
    server.executeRequest(request, response, DAV_ROOT);
  } catch (error) {
    // the library decodes the path as it starts, and throws on a malformed escape (`%E0%A4%A`): a bad request, not a hang
    if (!(error instanceof URIError)) throw error;
    response.statusCode = 400;
    response.end();
  }
}

function hideHeaders(response: ServerResponse): void {
  const setHeader = response.setHeader.bind(response);
  response.setHeader = (name, value) => (name.toLowerCase().startsWith(REFUSED_HEADER_PREFIX) ? response : setHeader(name, value));
}
