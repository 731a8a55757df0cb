import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { loadOrCreateIdentity } from '../../src/identity/identity.js';
import { CT_SHA256_HEADER, CT_SHA256_TRAILER, encodeBatchItemHead, routePath, type SyncRouteName } from '../../src/protocol/v1/index.js';

/** A certificate and key a test source presents as its client certificate. */
export interface SourceIdentity {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

/** A fresh self-signed identity, made as a real server makes its own. */
export async function makeSourceIdentity(): Promise<SourceIdentity> {
  const certsDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-source-'));
  try {
    const { certPem, keyPem, fingerprint } = await loadOrCreateIdentity({ certsDir });
    return { certPem, keyPem, fingerprint };
  } finally {
    await rm(certsDir, { recursive: true, force: true });
  }
}

export interface PeerResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
  /** The body parsed as JSON when it is JSON, else undefined. */
  body: T;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A minimal client of the peer protocol for tests: it trusts the server's
 * own certificate, presents `identity` (or no certificate at all), and
 * sends exactly what a test asks, hostile requests included. Deliberately
 * not the production peer client.
 */
export class PeerTlsClient {
  private readonly agent: Agent;
  token: string | undefined;

  constructor(
    readonly baseUrl: string,
    options: { ca: string; identity?: SourceIdentity | undefined },
  ) {
    this.agent = new Agent({
      connect: { ca: options.ca, ...(options.identity ? { cert: options.identity.certPem, key: options.identity.keyPem } : {}) },
    });
  }

  async request<T = any>(
    method: string,
    urlPath: string,
    options: { headers?: Record<string, string>; body?: Buffer | string | AsyncIterable<Buffer>; token?: string | null } = {},
  ): Promise<PeerResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const body = options.body === undefined || typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : Readable.from(options.body);
    const response = await this.agent.request({ origin: this.baseUrl, path: urlPath, method: method as Dispatcher.HttpMethod, headers, body: body ?? null });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    const type = String(response.headers['content-type'] ?? '');
    const json = type.includes('json') && bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : undefined;
    return { status: response.statusCode, headers: response.headers, bytes, body: json };
  }

  hello(): Promise<PeerResponse> {
    return this.request('GET', routePath('hello'));
  }

  /** Opens a session and keeps its token for the following requests when it succeeds. */
  async openSession(sourceServer: string, password?: string): Promise<PeerResponse> {
    const response = await this.json('POST', 'openSession', {}, { sourceServer, ...(password === undefined ? {} : { password }) });
    if (response.status === 200) this.token = response.body.token;
    return response;
  }

  putFile(user: string, share: string, storedPath: string, bytes: Buffer | AsyncIterable<Buffer>, ctSha256?: string): Promise<PeerResponse> {
    const hash = ctSha256 ?? (Buffer.isBuffer(bytes) ? sha256(bytes) : '0'.repeat(64));
    return this.request('PUT', `${routePath('putFile', { user, share })}?path=${encodeURIComponent(storedPath)}`, {
      headers: { 'content-type': 'application/octet-stream', [CT_SHA256_HEADER]: hash },
      body: bytes,
    });
  }

  /** Streams `bytes` followed by a 32-byte SHA-256 trailer (`trailer` lets a test send a wrong one, or none). */
  putFileWithTrailer(user: string, share: string, storedPath: string, bytes: Buffer, trailer: Buffer = createHash('sha256').update(bytes).digest()): Promise<PeerResponse> {
    const body = Buffer.concat([bytes, trailer]);
    const chunks = async function* () {
      for (let offset = 0; offset < body.length; offset += 16_384) yield body.subarray(offset, offset + 16_384);
    };
    return this.request('PUT', `${routePath('putFile', { user, share })}?path=${encodeURIComponent(storedPath)}`, {
      headers: { 'content-type': 'application/octet-stream', [CT_SHA256_HEADER]: CT_SHA256_TRAILER },
      body: chunks(),
    });
  }

  getFile(user: string, share: string, storedPath: string): Promise<PeerResponse> {
    return this.request('GET', `${routePath('getFile', { user, share })}?path=${encodeURIComponent(storedPath)}`);
  }

  putManifest(user: string, share: string, bytes: Buffer, ctSha256 = sha256(bytes)): Promise<PeerResponse> {
    return this.request('PUT', routePath('putManifest', { user, share }), {
      headers: { 'content-type': 'application/octet-stream', [CT_SHA256_HEADER]: ctSha256 },
      body: bytes,
    });
  }

  getManifest(user: string, share: string): Promise<PeerResponse> {
    return this.request('GET', routePath('getManifest', { user, share }));
  }

  /** A batch of files; an item's `ctSha256` may be given to lie about its hash. */
  putBatch(user: string, share: string, items: { path: string; bytes: Buffer; ctSha256?: string }[]): Promise<PeerResponse> {
    const body = Buffer.concat(
      items.flatMap((item) => [encodeBatchItemHead({ path: item.path, size: item.bytes.length, ctSha256: item.ctSha256 ?? sha256(item.bytes) }), item.bytes]),
    );
    return this.request('POST', routePath('putBatch', { user, share }), { headers: { 'content-type': 'application/octet-stream' }, body });
  }

  listFiles(user: string, share: string): Promise<PeerResponse> {
    return this.request('GET', routePath('listFiles', { user, share }));
  }

  listShares(): Promise<PeerResponse> {
    return this.request('GET', routePath('listShares'));
  }

  deleteFiles(user: string, share: string, paths: string[]): Promise<PeerResponse> {
    return this.json('POST', 'deleteFiles', { user, share }, { paths });
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private json(method: string, route: SyncRouteName, params: { user?: string; share?: string }, body: unknown): Promise<PeerResponse> {
    return this.request(method, routePath(route, params), { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
}
