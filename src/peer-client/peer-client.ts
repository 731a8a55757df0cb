import { X509Certificate, createHash } from 'node:crypto';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import type { z } from 'zod';
import type {
  helloResponse,
  openSessionResponse,
  listSnapshotsResponse} from '../protocol/v1/index.js';
import {
  AppendSha256Trailer,
  CT_SHA256_HEADER,
  CT_SHA256_TRAILER,
  MANIFEST_GENERATION_HEADER,
  IF_GENERATION_HEADER,
  MANIFEST_JOURNAL_HEADER,
  MANIFEST_FILES_HEADER,
  MANIFEST_BYTES_HEADER,
  SYNC_RUN_HEADER,
  SHARE_INCARNATION_HEADER,
  SYNC_RUN_START,
  TRAILER_LENGTH,
  UPLOAD_OFFSET_HEADER,
  encodeBatchItemHead,
  limits,
  PROTOCOL_VERSION,
  syncRoutes,
  type JsonBodyRoute,
  type JsonResponseRoute,
  type RouteEntry,
  type RouteJsonBodyInput,
  type RouteJsonResponse,
  type RouteParams,
  type RouteQueryStrings,
  type SyncRouteName,
  type UploadRoute,
  type storedFileSchema,
  type storedShareSchema,
  type hashedFileSchema,
} from '../protocol/v1/index.js';
import { PeerError } from './peer-error.js';
import { PeerTransport, type PeerResponse, type SendOptions } from './peer-transport.js';
import type { Agent } from 'undici';
import { type ClientIdentity, createPinnedAgent } from './pinned-agent.js';
import { SessionSlot, type OpenPeerSession } from './session-slot.js';
import { discard, readCapped, readJson, withPeerErrors } from './response-body.js';
import type { UploadThrottle } from './upload-throttle.js';
import { meteredBody, type OnBodySent } from './metered-body.js';

export type PeerHello = z.infer<typeof helloResponse>;
export type StoredShare = z.infer<typeof storedShareSchema>;
export type StoredFile = z.infer<typeof storedFileSchema>;
export type HashedFile = z.infer<typeof hashedFileSchema>;

/**
 * What a peer stores of a share's manifest. `journals`: the peer keeps
 * manifest journals (it said so); an older one takes full manifests only.
 */
export type ManifestFetch =
  | { kind: 'missing'; journals: boolean }
  | { kind: 'unchanged' }
  | { kind: 'stored'; base: Buffer; deltas: { generation: number; bytes: Buffer }[]; journals: boolean };

/** Plaintext totals of the state a manifest describes, sent with it for the peer's snapshot list. */
export interface ManifestTotals {
  fileCount: number;
  bytes: number;
}

/** A snapshot a peer keeps of a share. */
export type PeerSnapshot = z.infer<typeof listSnapshotsResponse>['snapshots'][number];

export interface PeerCredentials {
  /** This server's name, as the peer files our backups under `incoming/<sourceServer>/`. */
  sourceServer: string;
  password?: string | undefined;
}

export interface PeerClientOptions {
  address: string;
  port: number;
  identity: ClientIdentity;
  /** The only certificate this client will talk to. */
  pinnedFingerprint: string;
  /** The peer's timeout: the longest silence a request may meet. */
  timeoutMs: number;
  /** Connecting (lookup, TCP, TLS) gives up sooner than a transfer; defaults to the timeout, at most a minute. */
  connectTimeoutMs?: number;
  /** When given, session routes open a session themselves, so the caller never handles the password. */
  credentials?: PeerCredentials;
  /** Where the session is kept; share one slot between the clients of one peer and credentials to open fewer sessions. */
  session?: SessionSlot;
  /** The peer's upload limit; share one between the clients of one peer. */
  uploadThrottle?: UploadThrottle;
  /**
   * Connections shared with the other clients of this peer (a pinned agent for
   * the same fingerprint): `close` then leaves them to their keep-alive, so
   * the next run skips the TCP and TLS handshakes, two round trips each.
   */
  agent?: Agent;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface UploadOptions extends CallOptions {
  /** Called as the connection takes the request body (a sync's progress and its silence watchdog). */
  onSent?: OnBodySent;
}

/** A body for an upload: a function making a fresh stream lets the client replay it after a session expired. */
export type UploadBody = Readable | (() => Readable);

/** What a call of route `K` sends: the parts its table entry has, typed from the entry's schemas. */
type CallInput<K extends SyncRouteName> = (RouteParams<K> extends undefined ? { params?: undefined } : { params: RouteParams<K> }) &
  (RouteQueryStrings<K> extends undefined ? { query?: undefined } : { query: RouteQueryStrings<K> }) & {
    body?: K extends JsonBodyRoute ? RouteJsonBodyInput<K> : K extends UploadRoute ? Buffer | UploadBody : undefined;
    headers?: Record<string, string>;
    signal?: AbortSignal | undefined;
  };

export interface BatchItem {
  /** Stored path (ends in `.enc`). */
  path: string;
  ctSha256: string;
  body: Buffer;
}

const MAX_CONNECT_TIMEOUT_MS = 60_000;
/** A session this close to its end is renewed before use rather than failing mid-upload. */
const SESSION_RENEW_MARGIN_MS = 60_000;
/** Delete requests stay well under a receiver's JSON body limit. */
const DELETE_CHUNK_PATHS = 5_000;
const DELETE_CHUNK_BYTES = 512 * 1024;

/** How long connecting may take for a peer of timeout `timeoutMs`. */
export function peerConnectTimeoutMs(timeoutMs: number): number {
  return Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS);
}

/** Asks `hello` over any transport: the one request that needs no session and carries no secret. */
export async function helloOver(transport: PeerTransport, signal?: AbortSignal): Promise<PeerHello> {
  const response = await transport.send('hello', { signal });
  if (response.statusCode === 404) {
    await discard(response.body);
    // no v1 hello: an Anemone peer newer (v2 and later only) or older than this server, or another service
    throw new PeerError('protocol-error', {
      ...transport.context,
      status: 404,
      detail: `it does not speak the Anemone sync protocol v${PROTOCOL_VERSION}; if it is an Anemone server, upgrade the older of the two servers`,
    });
  }
  await transport.expect(response, [200]);
  const hello = await readJson(response.body, syncRoutes.hello.response, transport.context);
  if (hello.protocolVersion !== PROTOCOL_VERSION) {
    throw new PeerError('protocol-error', {
      ...transport.context,
      detail: `the peer speaks sync protocol v${hello.protocolVersion}, this server v${PROTOCOL_VERSION}; update the older of the two`,
    });
  }
  return hello;
}

/**
 * The peer protocol v1 (src/protocol/v1/routes.ts) from the sending side,
 * over mutual TLS pinned to one certificate. Every failure is a PeerError.
 * Close it when done: it holds open connections.
 */
export class PeerClient {
  readonly address: string;
  readonly port: number;
  private readonly agent: Agent;
  private readonly sharedAgent: boolean;
  private readonly transport: PeerTransport;
  private credentials: PeerCredentials | undefined;
  private readonly session: SessionSlot;
  /**
   * Per share (`user/share`), the incarnation the peer gave with its manifest
   * (SHARE_INCARNATION_HEADER): the writes to the share carry it back, so a
   * peer whose administrator deleted the share since refuses them.
   */
  private readonly incarnations = new Map<string, string>();

  constructor(options: PeerClientOptions) {
    this.address = options.address;
    this.port = options.port;
    this.credentials = options.credentials;
    this.session = options.session ?? new SessionSlot();
    this.sharedAgent = options.agent !== undefined;
    this.agent =
      options.agent ??
      createPinnedAgent({
        identity: options.identity,
        pinnedFingerprint: options.pinnedFingerprint,
        connectTimeoutMs: options.connectTimeoutMs ?? peerConnectTimeoutMs(options.timeoutMs),
      });
    this.transport = new PeerTransport(this.agent, {
      address: options.address,
      port: options.port,
      timeoutMs: options.timeoutMs,
      ownFingerprint: new X509Certificate(options.identity.certPem).fingerprint256,
      uploadThrottle: options.uploadThrottle,
    });
  }

  hello(options: CallOptions = {}): Promise<PeerHello> {
    return helloOver(this.transport, options.signal);
  }

  /** Checks the password once; the token is kept for the other routes and renewed when it expires. */
  async openSession(sourceServer: string, password: string | undefined, options: CallOptions = {}): Promise<{ serverName: string; expiresAt: string }> {
    this.credentials = { sourceServer, password };
    const opened = await this.startSession(options.signal);
    this.session.replace(sessionOf(opened));
    return { serverName: opened.serverName, expiresAt: opened.expiresAt };
  }

  /** Opens a session with the credentials given at construction, unless one is open; a wrong password fails here, before any upload. */
  async ensureSession(options: CallOptions = {}): Promise<void> {
    await this.token(options.signal);
  }

  async listShares(options: CallOptions = {}): Promise<StoredShare[]> {
    return (await this.callJson('listShares', { signal: options.signal })).shares;
  }

  /**
   * The stored `_manifest.json.enc`, or null when the peer holds none for this share.
   * `startsSyncRun`: a sync begins, so the peer first drops what an unfinished run left uncommitted.
   */
  async getManifest(user: string, share: string, options: CallOptions & { startsSyncRun?: boolean } = {}): Promise<Buffer | null> {
    const headers = options.startsSyncRun ? { [SYNC_RUN_HEADER]: SYNC_RUN_START } : undefined;
    const response = await this.call('getManifest', { params: { user, share }, query: {}, signal: options.signal, ...(headers ? { headers } : {}) }, [200, 404]);
    this.noteIncarnation(user, share, response);
    if (response.statusCode === 404) {
      await discard(response.body);
      return null;
    }
    return readCapped(response.body, limits.manifestMaxBytes, this.transport.context);
  }

  /**
   * The stored manifest with the deltas of its journal. `ifGeneration`: the
   * generation the caller holds a copy of; a peer still at it answers
   * `unchanged`, with no body. `startsSyncRun` as for getManifest.
   */
  async fetchManifest(
    user: string,
    share: string,
    options: CallOptions & { startsSyncRun?: boolean; ifGeneration?: number | undefined; snapshot?: number | undefined } = {},
  ): Promise<ManifestFetch> {
    const headers: Record<string, string> = {};
    if (options.startsSyncRun) headers[SYNC_RUN_HEADER] = SYNC_RUN_START;
    if (options.ifGeneration !== undefined) headers[IF_GENERATION_HEADER] = String(options.ifGeneration);
    // a kept snapshot instead of the current state: `missing` when the peer keeps none of that generation
    const query = options.snapshot === undefined ? {} : { generation: String(options.snapshot) };
    const response = await this.call('getManifest', { params: { user, share }, query, signal: options.signal, headers }, [200, 304, 404]);
    // a snapshot's answer says nothing of the share's current incarnation
    if (options.snapshot === undefined) this.noteIncarnation(user, share, response);
    const journalHeader = response.headers[MANIFEST_JOURNAL_HEADER];
    const journals = typeof journalHeader === 'string';
    if (response.statusCode !== 200) {
      await discard(response.body);
      return response.statusCode === 304 ? { kind: 'unchanged' } : { kind: 'missing', journals };
    }
    const base = await readCapped(response.body, limits.manifestMaxBytes, this.transport.context);
    const generations = journals ? journalHeader.split(',').filter((value) => /^\d{1,15}$/.test(value)).map(Number) : [];
    const deltas: { generation: number; bytes: Buffer }[] = [];
    for (const generation of generations) deltas.push({ generation, bytes: await this.getManifestDelta(user, share, generation, options) });
    return { kind: 'stored', base, deltas, journals };
  }

  async getManifestDelta(user: string, share: string, generation: number, options: CallOptions & { snapshot?: number | undefined } = {}): Promise<Buffer> {
    const query = { generation: String(generation), ...(options.snapshot === undefined ? {} : { snapshot: String(options.snapshot) }) };
    const response = await this.call('getManifestDelta', { params: { user, share }, query, signal: options.signal }, [200]);
    return readCapped(response.body, limits.manifestMaxBytes, this.transport.context);
  }

  async putManifestDelta(
    user: string,
    share: string,
    generation: number,
    bytes: Buffer,
    ctSha256: string,
    options: CallOptions & { totals?: ManifestTotals | undefined } = {},
  ): Promise<void> {
    const response = await this.call(
      'putManifestDelta',
      {
        params: { user, share },
        query: { generation: String(generation) },
        headers: { [CT_SHA256_HEADER]: ctSha256, ...totalsHeaders(options.totals) },
        body: bytes,
        signal: options.signal,
      },
      [200, 201, 204],
    );
    await discard(response.body);
  }

  /**
   * Streams a full manifest as `sealed` gives it (a function: a replay after
   * an expired session takes a fresh stream), its SHA-256 appended as the
   * trailer, its length unannounced (sealed as it is sent, it is known only
   * at the end). Resolves with the bytes sent, the trailer not counted.
   */
  async putManifest(
    user: string,
    share: string,
    sealed: () => Readable,
    options: CallOptions & { generation?: number; totals?: ManifestTotals | undefined } = {},
  ): Promise<{ bytes: number }> {
    const headers = {
      [CT_SHA256_HEADER]: CT_SHA256_TRAILER,
      ...totalsHeaders(options.totals),
      ...(options.generation === undefined ? {} : { [MANIFEST_GENERATION_HEADER]: String(options.generation) }),
    };
    let sent: AppendSha256Trailer | undefined;
    const body = () => {
      const withTrailer = new AppendSha256Trailer();
      sent = withTrailer;
      // joined both ways: a request that ends before the manifest did (refused, cut, replayed) ends its sealing
      // too, rather than leaving it paused on a piece of the plaintext; a sealing that fails fails the request
      return pipeline(sealed(), withTrailer, () => undefined);
    };
    const response = await this.call('putManifest', { params: { user, share }, headers, body, signal: options.signal }, [200, 201, 204]);
    await discard(response.body);
    return { bytes: sent?.bytes ?? 0 };
  }

  /**
   * Streams one encrypted file of exactly `size` bytes, followed by its
   * SHA-256 as a trailer (src/protocol/v1/hash-trailer.ts): the peer keeps the
   * file only if the trailer matches. Resolves with that hash.
   */
  async putFile(user: string, share: string, storedPath: string, body: Readable, size: number, options: UploadOptions = {}): Promise<{ ctSha256: string }> {
    const withTrailer = new AppendSha256Trailer();
    body.on('error', (error) => withTrailer.destroy(error));
    body.pipe(withTrailer);
    const bodyBytes = size + TRAILER_LENGTH;
    const response = await this.call(
      'putFile',
      {
        params: { user, share },
        query: { path: storedPath },
        headers: {
          [CT_SHA256_HEADER]: CT_SHA256_TRAILER,
          'content-length': String(bodyBytes),
        },
        body: options.onSent ? meteredBody(withTrailer, bodyBytes, options.onSent) : withTrailer,
        signal: options.signal,
      },
      [200, 201, 204],
    );
    await discard(response.body);
    return { ctSha256: withTrailer.sha256Hex() };
  }

  /** Creates or finds a resumable upload; resolves with the bytes of it the peer holds durably. */
  async uploadOffset(user: string, share: string, storedPath: string, uploadId: string, size: number, options: CallOptions = {}): Promise<number> {
    return (await this.callJson('uploadOffset', { params: { user, share }, body: { path: storedPath, uploadId, size }, signal: options.signal })).offset;
  }

  /**
   * Continues a resumable upload at `offset`: `body` is the ciphertext from
   * there to the end (`size - offset` bytes), followed here by `ctSha256`,
   * the whole object's SHA-256, as the trailer. Not replayed after an expired
   * session (a stream): the caller asks for the offset again.
   */
  async appendUpload(
    user: string,
    share: string,
    storedPath: string,
    upload: { uploadId: string; offset: number; size: number },
    body: Readable,
    ctSha256: () => Buffer,
    options: UploadOptions = {},
  ): Promise<{ complete: boolean; offset: number }> {
    const withTrailer = new AppendFixedTrailer(ctSha256);
    body.on('error', (error) => withTrailer.destroy(error));
    body.pipe(withTrailer);
    const bodyBytes = upload.size - upload.offset + TRAILER_LENGTH;
    return this.callJson('appendUpload', {
      params: { user, share },
      query: { path: storedPath, uploadId: upload.uploadId },
      headers: { [UPLOAD_OFFSET_HEADER]: String(upload.offset), 'content-length': String(bodyBytes) },
      body: options.onSent ? meteredBody(withTrailer, bodyBytes, options.onSent) : withTrailer,
      signal: options.signal,
    });
  }

  /** Many small files in one request (framing: src/protocol/v1/batch-frame.ts); returns how many the peer stored. */
  async putBatch(user: string, share: string, items: readonly BatchItem[], options: UploadOptions = {}): Promise<number> {
    if (items.length === 0) return 0;
    const parts = items.flatMap((item) => [encodeBatchItemHead({ path: item.path, size: item.body.length, ctSha256: item.ctSha256 }), item.body]);
    return this.putBatchBody(user, share, Buffer.concat(parts), options);
  }

  /** Sends a batch body already framed (protocol/v1/batch-frame.ts: a BatchBodyBuilder's); returns how many files the peer stored. */
  async putBatchBody(user: string, share: string, bytes: Buffer, options: UploadOptions = {}): Promise<number> {
    const { onSent } = options;
    const stored = await this.callJson(
      'putBatch',
      {
        params: { user, share },
        headers: { 'content-length': String(bytes.length) },
        // a function, so a replay after an expired session gets a fresh stream
        body: onSent ? () => meteredBody([bytes], bytes.length, onSent) : bytes,
        signal: options.signal,
      },
      [200, 201],
    );
    return stored.stored;
  }

  /** The stored encrypted bytes, streamed (a stream error is a PeerError too); with `ctSha256`, that version, current or kept by the peer. */
  async getFile(user: string, share: string, storedPath: string, options: CallOptions & { ctSha256?: string | undefined } = {}): Promise<Readable> {
    const query = { path: storedPath, ...(options.ctSha256 === undefined ? {} : { ctSha256: options.ctSha256 }) };
    const response = await this.call('getFile', { params: { user, share }, query, signal: options.signal }, [200]);
    return withPeerErrors(response.body, this.transport.context);
  }

  /** The snapshots the peer keeps of a share, newest first. */
  async listSnapshots(user: string, share: string, options: CallOptions = {}): Promise<PeerSnapshot[]> {
    return (await this.callJson('listSnapshots', { params: { user, share }, signal: options.signal })).snapshots;
  }

  async listFiles(user: string, share: string, options: CallOptions = {}): Promise<StoredFile[]> {
    return (await this.callJson('listFiles', { params: { user, share }, signal: options.signal })).files;
  }

  /** Deletes stored files, in requests of bounded size; returns how many the peer deleted. */
  async deleteFiles(user: string, share: string, paths: readonly string[], options: CallOptions = {}): Promise<number> {
    let deleted = 0;
    for (const chunk of chunkPaths(paths)) {
      deleted += (await this.callJson('deleteFiles', { params: { user, share }, body: { paths: chunk }, signal: options.signal })).deleted;
    }
    return deleted;
  }

  /** Size and SHA-256 of stored files as the peer computes them, in requests of bounded size; paths not stored are left out. */
  async hashFiles(user: string, share: string, paths: readonly string[], options: CallOptions = {}): Promise<HashedFile[]> {
    const hashed: HashedFile[] = [];
    for (const chunk of chunkPaths(paths, limits.hashFilesMaxPaths)) {
      hashed.push(...(await this.callJson('hashFiles', { params: { user, share }, body: { paths: chunk }, signal: options.signal })).files);
    }
    return hashed;
  }

  /** Replaces this server's recovery kit on the peer (sealed by the passphrase: the peer cannot open it). */
  async putRecoveryKit(sealed: Buffer, options: CallOptions = {}): Promise<void> {
    const ctSha256 = createHash('sha256').update(sealed).digest('hex');
    const response = await this.call('putRecoveryKit', { headers: { [CT_SHA256_HEADER]: ctSha256 }, body: sealed, signal: options.signal }, [200, 201, 204]);
    await discard(response.body);
  }

  /**
   * The recovery kit the peer keeps for `sourceServer`, or null when it keeps
   * none. Needs no session (a rebuilt server has lost the certificate its name
   * is bound to): the password goes in the body, over this pinned connection only.
   */
  async fetchRecoveryKit(sourceServer: string, password: string, options: CallOptions = {}): Promise<Buffer | null> {
    const response = await this.call('fetchRecoveryKit', { body: { sourceServer, password }, signal: options.signal }, [200, 404]);
    if (response.statusCode === 404) {
      await discard(response.body);
      return null;
    }
    return readCapped(response.body, limits.recoveryKitMaxBytes, this.transport.context);
  }

  /** Lets running requests finish (a stream from getFile must be read or destroyed), then closes the connections unless they are shared. */
  async close(): Promise<void> {
    if (!this.sharedAgent) await this.agent.close();
  }

  /** Ends every connection now, failing what is still running (a cancelled sync); shared connections are left to their owner. */
  async destroy(): Promise<void> {
    if (!this.sharedAgent) await this.agent.destroy();
  }

  private async startSession(signal: AbortSignal | undefined): Promise<z.infer<typeof openSessionResponse>> {
    const credentials = this.credentials;
    if (!credentials) throw new Error('PeerClient: call openSession (or give credentials) before using a session route');
    const body = { sourceServer: credentials.sourceServer, ...(credentials.password !== undefined ? { password: credentials.password } : {}) };
    return this.callJson('openSession', { body, signal }, [200, 201]);
  }

  /**
   * The opening is shared with other clients of the slot, so it does not end
   * with this caller's signal (the peer timeout bounds it); the caller stops
   * waiting when its own signal aborts.
   */
  private async token(signal: AbortSignal | undefined): Promise<string> {
    const abortedError = () => new PeerError('aborted', this.transport.context, { cause: signal?.reason });
    if (signal?.aborted) throw abortedError();
    const token = this.session.token(async () => sessionOf(await this.startSession(undefined)));
    if (!signal) return token;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(abortedError());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([token, aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The one way a method reaches the peer: route `K` of the protocol table,
   * its URL, method and body encoding taken from the entry (JSON, or bytes as
   * `application/octet-stream`); session routes carry the token. Resolves with
   * the answer when its status is one of `ok`, else throws the refusal.
   */
  private async call<K extends SyncRouteName>(route: K, input: CallInput<K>, ok: readonly number[]): Promise<PeerResponse> {
    const entry: RouteEntry = syncRoutes[route];
    const json = typeof entry.body === 'object';
    const contentType = json ? 'application/json' : entry.body === 'none' ? undefined : 'application/octet-stream';
    const incarnation = input.params && entry.requestHeaders.includes(SHARE_INCARNATION_HEADER) ? this.incarnations.get(shareKey(input.params)) : undefined;
    const request = {
      ...(input.params ? { params: input.params } : {}),
      ...(input.query ? { query: input.query } : {}),
      headers: {
        ...(contentType ? { 'content-type': contentType } : {}),
        ...(incarnation !== undefined ? { [SHARE_INCARNATION_HEADER]: incarnation } : {}),
        ...input.headers,
      },
      body: json ? JSON.stringify(input.body) : (input.body as Buffer | UploadBody | undefined),
      signal: input.signal,
    };
    if (entry.auth === 'session') return this.sessionRequest(route, request, ok);
    const response = await this.transport.send(route, { ...request, body: typeof request.body === 'function' ? request.body() : request.body });
    await this.transport.expect(response, ok);
    return response;
  }

  /** Keeps the share's incarnation from a getManifest answer; a peer that sends none (an older one) gets none back. */
  private noteIncarnation(user: string, share: string, response: PeerResponse): void {
    const value = response.headers[SHARE_INCARNATION_HEADER];
    if (typeof value === 'string' && /^\d{1,15}$/.test(value)) this.incarnations.set(shareKey({ user, share }), value);
    else this.incarnations.delete(shareKey({ user, share }));
  }

  /** `call` for a route answering JSON: the answer parsed with the entry's response schema. */
  private async callJson<K extends JsonResponseRoute>(route: K, input: CallInput<K>, ok: readonly number[] = [200]): Promise<RouteJsonResponse<K>> {
    const response = await this.call(route, input, ok);
    // a JsonResponseRoute's entry has a schema as its response
    const schema = (syncRoutes[route] as RouteEntry).response as z.ZodType<RouteJsonResponse<K>>;
    return readJson(response.body, schema, this.transport.context);
  }

  /**
   * A request on a session route. A 401 SESSION_INVALID (the peer restarted, or
   * the token expired) opens a new session and replays the request once —
   * when its body can be replayed: a Buffer, or a function making a new stream.
   */
  private async sessionRequest(
    route: SyncRouteName,
    request: Omit<SendOptions, 'body'> & { body?: Buffer | string | UploadBody },
    ok: readonly number[],
  ): Promise<PeerResponse> {
    const replayable = !(request.body instanceof Readable);
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(request.signal);
      const body = typeof request.body === 'function' ? request.body() : request.body;
      const response = await this.transport.send(route, { ...request, body, headers: { ...request.headers, authorization: `Bearer ${token}` } });
      if (ok.includes(response.statusCode)) return response;
      if (body instanceof Readable && !body.readableEnded) body.destroy();
      const error = await this.transport.failure(response);
      if (error.code !== 'SESSION_INVALID') throw error;
      this.session.forget(token);
      if (attempt > 0 || !replayable || !this.credentials) throw error;
    }
  }
}

/** Passes the body through, then appends the trailer `trailer()` gives once the body ended (a hash known only then). */
class AppendFixedTrailer extends Transform {
  constructor(private readonly trailer: () => Buffer) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      callback(null, this.trailer());
    } catch (error) {
      callback(error as Error);
    }
  }
}

function shareKey(params: { user: string; share: string }): string {
  return `${params.user}/${params.share}`;
}

function sessionOf(opened: z.infer<typeof openSessionResponse>): OpenPeerSession {
  const expiresAt = Date.parse(opened.expiresAt);
  return { token: opened.token, renewAt: Number.isNaN(expiresAt) ? Infinity : expiresAt - SESSION_RENEW_MARGIN_MS };
}

function* chunkPaths(paths: readonly string[], maxPaths = DELETE_CHUNK_PATHS): Generator<string[]> {
  let chunk: string[] = [];
  let bytes = 0;
  for (const storedPath of paths) {
    const size = Buffer.byteLength(storedPath) + 4;
    if (chunk.length > 0 && (chunk.length >= maxPaths || bytes + size > DELETE_CHUNK_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(storedPath);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * The PeerClient method that speaks each route: a route added to the table
 * without a client method fails the typecheck here.
 */
export const clientMethodOfRoute = {
  hello: 'hello',
  openSession: 'openSession',
  listShares: 'listShares',
  getManifest: 'fetchManifest',
  putManifest: 'putManifest',
  putManifestDelta: 'putManifestDelta',
  getManifestDelta: 'getManifestDelta',
  putFile: 'putFile',
  putBatch: 'putBatch',
  uploadOffset: 'uploadOffset',
  appendUpload: 'appendUpload',
  getFile: 'getFile',
  listFiles: 'listFiles',
  deleteFiles: 'deleteFiles',
  hashFiles: 'hashFiles',
  putRecoveryKit: 'putRecoveryKit',
  fetchRecoveryKit: 'fetchRecoveryKit',
  listSnapshots: 'listSnapshots',
} as const satisfies Record<SyncRouteName, keyof PeerClient>;

function totalsHeaders(totals: ManifestTotals | undefined): Record<string, string> {
  return totals === undefined ? {} : { [MANIFEST_FILES_HEADER]: String(totals.fileCount), [MANIFEST_BYTES_HEADER]: String(totals.bytes) };
}
