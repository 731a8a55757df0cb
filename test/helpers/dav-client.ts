import type { IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createClient, type WebDAVClient } from 'webdav';
import type { TestServer } from './test-server.js';

/** A WebDAV client of the `webdav` package signed in over Basic, trusting only this server's certificate. */
export function davClient(test: TestServer, username: string, password: string): WebDAVClient {
  return createClient(new URL('/dav/', test.url).toString(), {
    username,
    password,
    httpsAgent: new HttpsAgent({ ca: test.server.identity.certPem, keepAlive: false }),
  });
}

/** The Authorization header of HTTP Basic for a raw request. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface RawDavResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request with its path sent exactly as given (no URL normalisation:
 * `..`, `%2F` and the like reach the server as written), from `localAddress`
 * when given (Linux accepts all of 127/8, so a test can come from an address
 * of its own for the rate limits).
 */
export function rawDav(
  test: TestServer,
  request: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string },
): Promise<RawDavResponse> {
  const url = new URL(test.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers: { ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) }), ...request.headers },
        ca: test.server.identity.certPem,
        agent: false,
        ...(request.localAddress ? { localAddress: request.localAddress } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
