import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: pass it on, answer 503, or cut the connection once the body started. */
export type Fault = 'pass' | '503' | 'drop';

/**
 * An HTTP proxy in front of a local server that misbehaves on demand, as an
 * object storage under load does: `decide` sees each request (method, URL)
 * and says what to do with it. Headers are passed unchanged, so a request
 * signed for the proxy's address is still valid behind it.
 */
export class FaultyHttpProxy {
  private server: http.Server | undefined;
  readonly seen: { method: string; url: string; fault: Fault }[] = [];
  endpoint = '';

  constructor(
    private readonly target: string,
    public decide: (request: { method: string; url: string }) => Fault = () => 'pass',
  ) {}

  async start(): Promise<void> {
    const target = new URL(this.target);
    this.server = http.createServer((request, response) => {
      const method = request.method ?? 'GET';
      const url = request.url ?? '/';
      const fault = this.decide({ method, url });
      this.seen.push({ method, url, fault });
      if (fault === '503') {
        request.resume();
        response.writeHead(503, { 'content-type': 'application/xml' });
        response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        return;
      }
      if (fault === 'drop') {
        request.once('data', () => request.socket.destroy());
        return;
      }
      const forwarded = http.request({ host: target.hostname, port: target.port, method, path: url, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      forwarded.on('error', () => response.destroy());
      request.pipe(forwarded);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
