import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { AnemoneError } from '../errors/catalogue.js';
import { routePath, syncRoutes, type SyncRouteName } from '../protocol/v1/index.js';
import { peerErrorFrom, peerErrorFromAnswer, type MappingContext } from './error-mapping.js';
import type { PeerError } from './peer-error.js';
import { readErrorBody } from './response-body.js';
import type { UploadThrottle } from './upload-throttle.js';

/** The routes that carry file data: the ones an upload limit paces. */
const PACED_ROUTES: ReadonlySet<SyncRouteName> = new Set(['putFile', 'putBatch', 'appendUpload']);

export interface SendOptions {
  params?: { user: string; share: string };
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable | null;
  signal?: AbortSignal | undefined;
}

export type PeerResponse = Dispatcher.ResponseData;

/**
 * One route of the protocol table over one agent: builds the URL from
 * `syncRoutes`, applies the peer's timeout, and turns every failure into a
 * PeerError. It knows nothing of sessions or certificates.
 */
export class PeerTransport {
  readonly context: MappingContext;
  private readonly origin: string;

  constructor(
    private readonly agent: Agent,
    private readonly options: {
      address: string;
      port: number;
      timeoutMs: number;
      ownFingerprint?: string | undefined;
      /** The peer's upload limit, shared by every client of that peer. */
      uploadThrottle?: UploadThrottle | undefined;
    },
  ) {
    const host = options.address.includes(':') ? `[${options.address}]` : options.address;
    this.origin = `https://${host}:${options.port}`;
    this.context = {
      address: options.address,
      port: options.port,
      timeoutMs: options.timeoutMs,
      ...(options.ownFingerprint ? { ownFingerprint: options.ownFingerprint } : {}),
    };
  }

  async send(route: SyncRouteName, request: SendOptions = {}): Promise<PeerResponse> {
    const entry = syncRoutes[route];
    const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';
    const { headers, body } = this.paced(route, request);
    try {
      return await this.agent.request({
        origin: this.origin,
        path: `${routePath(route, request.params)}${query}`,
        method: entry.method,
        headers,
        body,
        signal: request.signal ?? null,
        // the peer's timeout bounds each silence — waiting for an answer, or between chunks of one —
        // rather than a whole transfer, so a large file on a slow but moving link is not cut off
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
    } catch (error) {
      // a timetable pause that began mid-upload ends the request from inside its body
      throw pauseIn(error) ?? peerErrorFrom(error, this.context);
    }
  }

  /** The request's body through the peer's upload limit, when it has one and the route carries file data. */
  private paced(route: SyncRouteName, request: SendOptions): { headers: Record<string, string>; body: Buffer | string | Readable | null } {
    const headers = request.headers ?? {};
    const body = request.body ?? null;
    const throttle = this.options.uploadThrottle;
    if (throttle === undefined || body === null || typeof body === 'string' || !PACED_ROUTES.has(route)) return { headers, body };
    // a Buffer becomes a stream: its length must then be announced by hand
    const length: Record<string, string> = Buffer.isBuffer(body) ? { 'content-length': String(body.length) } : {};
    return { headers: { ...headers, ...length }, body: throttle.throttled(body, request.signal) };
  }

  /** The PeerError for a refusal, from its status, Retry-After and `{error:{code,message}}` body. */
  async failure(response: PeerResponse): Promise<PeerError> {
    const error = await readErrorBody(response.body);
    return peerErrorFromAnswer({ status: response.statusCode, retryAfter: response.headers['retry-after'], error }, this.context);
  }

  /** Throws the refusal unless the status is one of `ok`. */
  async expect(response: PeerResponse, ok: readonly number[]): Promise<void> {
    if (!ok.includes(response.statusCode)) throw await this.failure(response);
  }
}

function pauseIn(error: unknown): AnemoneError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    if (cause instanceof AnemoneError && cause.code === 'UPLOAD_PAUSED') return cause;
  }
  return undefined;
}
