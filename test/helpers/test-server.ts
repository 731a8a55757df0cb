import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { type AnemoneServer, createServer, type ServerOptions } from '../../src/app.js';
import { type ConfigSource, loadConfig } from '../../src/config/config.js';
import { usePasswordCostForTests } from '../../src/crypto/password-hash.js';

export interface TestServer {
  server: AnemoneServer;
  url: string;
  /** Where peers connect: the peer listener's URL with ANEMONE_PEER_PORT, else `url`. */
  peerUrl: string;
  dataDir: string;
  /** A client with its own cookie jar, trusting only this server's certificate. */
  client(): ApiClient;
  stop(): Promise<void>;
}

/**
 * A real HTTPS server on loopback, port 0, in its own temporary data
 * directory. Passwords hashed in this test process use a low scrypt cost
 * unless `passwordCost: 'production'` (tests about the cost itself); servers
 * started by the real CLI in a child process always use production's.
 */
export async function startTestServer(
  options: {
    dataDir?: string;
    keepDataDir?: boolean;
    serverOptions?: ServerOptions;
    logLevel?: 'debug' | 'info' | 'warn';
    passwordCost?: 'test' | 'production';
    /** More settings, as flags (a peer port, a UI certificate, a proxy to trust). */
    config?: ConfigSource;
  } = {},
): Promise<TestServer> {
  usePasswordCostForTests(options.passwordCost ?? 'test');
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'anemone-test-')));
  // the log in a file (ANEMONE_LOG_FILE), where tests read sync lines; stdout stays quiet
  const config = loadConfig({}, { dataDir, port: 0, bind: '127.0.0.1', peerBind: '127.0.0.1', logLevel: options.logLevel ?? 'warn', logFile: path.join(dataDir, 'logs', 'anemone.log'), ...options.config });
  const server = await createServer(config, options.serverOptions);
  const { url, peerUrl } = await server.start();
  // the UI may present a certificate of its own (TLS_CERT_PATH); the clients talk to the UI port only
  const uiCertificate = options.config?.tlsCertPath === undefined ? undefined : await readFile(String(options.config.tlsCertPath), 'utf8');
  const agent = new Agent({ connect: { ca: uiCertificate ?? server.identity.certPem } });
  return {
    server,
    url,
    peerUrl,
    dataDir,
    client: () => new ApiClient(url, agent),
    async stop() {
      await server.stop();
      await agent.close();
      if (!options.keepDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  private cookie: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly agent: Agent,
  ) {}

  /** The same cookie jar, connecting from another loopback address (Linux accepts all of 127/8). */
  from(localAddress: string, ca: string): ApiClient {
    // an Agent option: undici passes its own (null) localAddress over the connect options'
    const other = new ApiClient(this.baseUrl, new Agent({ localAddress, connect: { ca } }));
    other.cookie = this.cookie;
    return other;
  }

  /** The session cookie (`name=value`) as sent, for requests made without this client (raw bodies, a browser). */
  get sessionCookie(): string | undefined {
    return this.cookie;
  }

  get<T = any>(urlPath: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', urlPath);
  }

  post<T = any>(urlPath: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', urlPath, body);
  }

  delete<T = any>(urlPath: string): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', urlPath);
  }

  async request<T>(method: string, urlPath: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    const response = await fetch(new URL(urlPath, this.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      dispatcher: this.agent,
    });
    const setCookie = response.headers.getSetCookie();
    for (const line of setCookie) {
      const pair = line.split(';')[0] ?? '';
      this.cookie = pair.endsWith('=') ? undefined : pair;
    }
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, headers: response.headers as unknown as Headers, body: (type.includes('json') && text ? JSON.parse(text) : text) as T };
  }
}

export const ADMIN = { serverName: 'server-a', username: 'admin', password: 'correct horse battery' };

/** Runs first setup and returns a signed-in admin client and the admin's key. */
export async function setUpServer(test: TestServer, input = ADMIN): Promise<{ admin: ApiClient; adminKey: string }> {
  const admin = test.client();
  const response = await admin.post('/api/setup', input);
  if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { admin, adminKey: response.body.encryptionKey };
}
