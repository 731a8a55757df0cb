import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AnemoneError } from '../../errors/catalogue.js';
import { PEER_PROTOCOL_BODY_LIMIT } from '../body-limits.js';
import type { PeerCaller } from '../../incoming/peer-auth.js';
import type { IncomingServices } from '../../incoming/services.js';
import type { AnnouncedSha256, ShareRef, StoredFileStream } from '../../incoming/incoming-store.js';
import { asIncomingStorageUnavailable } from '../../incoming/storage-failure.js';
import { duringLargeTransfer } from '../../util/heap-growth.js';
import {
  CT_SHA256_HEADER,
  MANIFEST_GENERATION_HEADER,
  SYNC_RUN_HEADER,
  SYNC_RUN_START,
  IF_GENERATION_HEADER,
  MANIFEST_JOURNAL_HEADER,
  CT_SHA256_TRAILER,
  PROTOCOL_VERSION,
  SYNC_ROOT,
  UPLOAD_OFFSET_HEADER,
  SHARE_INCARNATION_HEADER,
  MANIFEST_FILES_HEADER,
  MANIFEST_BYTES_HEADER,
  syncRoutes,
  type JsonBodyRoute,
  type JsonResponseRoute,
  type RouteEntry,
  type RouteJsonBody,
  type RouteJsonResponse,
  type RouteParams,
  type RouteQuery,
  type SyncRouteName,
  type UploadRoute,
} from '../../protocol/v1/index.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,256})$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The peer protocol v1, receiving side: every route of `syncRoutes`,
 * registered from its table entry (validation included) and handed to src/incoming. Nothing secret is logged:
 * no password, no token (request logging is off; errors carry neither).
 */
export function syncV1Routes(deps: { incoming: IncomingServices }): FastifyPluginAsyncZod {
  const { auth, store } = deps.incoming;
  return async (app) => {
    // uploads stay unread streams (request.raw) for the store: never a whole file in memory,
    // and so fastify's bodyLimit does not apply; the store counts bytes itself
    app.addContentTypeParser('application/octet-stream', (_request, _payload, done) => done(null));
    // the protocol's JSON requests keep the limit they were published with
    app.addHook('onRoute', (route) => {
      route.bodyLimit ??= PEER_PROTOCOL_BODY_LIMIT;
    });

    app.setErrorHandler((thrown: FastifyError | AnemoneError, request, reply) => {
      // the storage failing under the store: one code the source acts on, the storage's words kept for this server's log
      const error = asIncomingStorageUnavailable(thrown) ?? thrown;
      if (error instanceof AnemoneError) addErrorHeaders(error, reply);
      // a caller refused (401, 403, 413, 429): the connection closes after the answer (closeOnUnreadBody),
      // nothing more is read; another failure part way through an upload reads and drops the rest, so the
      // source receives the answer and keeps the connection
      const refused = error instanceof AnemoneError && [401, 403, 413, 429].includes(error.status);
      if (!refused && !request.raw.readableEnded && !request.raw.destroyed) request.raw.resume();
      // the application's handler writes the `{error}` body
      throw error;
    });

    /** The source a session request speaks for: set by `requireSession`, one entry per request. */
    const sources = new WeakMap<FastifyRequest, string>();
    const requireSession = async (request: FastifyRequest) => {
      const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
      sources.set(request, auth.authenticate(token, callerOf(request)));
    };
    const sourceOf = (request: FastifyRequest): string => {
      const source = sources.get(request);
      if (source === undefined) throw new AnemoneError('SESSION_INVALID');
      return source;
    };
    const shareOf = (request: FastifyRequest, params: { user: string; share: string }): ShareRef => ({
      source: sourceOf(request),
      user: params.user,
      share: params.share,
    });

    /**
     * A write of a sync run: refused with BACKUP_RESET_ON_PEER when the share's
     * backups were deleted since the run began (the incarnation it carries is
     * not current), before it starts or when it fails because the deletion
     * pulled its folder away.
     */
    const writeOfRun = async <T>(share: ShareRef, request: FastifyRequest, write: (incarnation: number | undefined) => Promise<T>): Promise<T> => {
      const incarnation = numberHeader(request, SHARE_INCARNATION_HEADER);
      store.checkIncarnation(share, incarnation);
      try {
        return await write(incarnation);
      } catch (error) {
        store.checkIncarnation(share, incarnation);
        throw error;
      }
    };

    /** A kept snapshot's full manifest, its journal (the deltas leading to it) in the journal header. */
    const sendSnapshotManifest = async (reply: FastifyReply, share: ShareRef, generation: number) => {
      const chain = store.snapshotChain(share, generation);
      if (chain === undefined) throw new AnemoneError('NOT_FOUND', { message: `No snapshot of generation ${generation} of this share is kept here` });
      reply.header(MANIFEST_JOURNAL_HEADER, chain.deltas.map((delta) => delta.generation).join(','));
      return sendStored(reply, await store.openChainFile(chain.base));
    };

    const handlers: SyncHandlers = {
      hello: async () => auth.hello(),

      openSession: async ({ body, request }) => {
        const opened = await auth.openSession(body, callerOf(request));
        if (opened.boundNow) request.log.info({ source: body.sourceServer, fingerprint: callerOf(request).clientFingerprint }, 'incoming source bound to its certificate');
        // one line per password check: sources keep their session across syncs, so this stays rare
        request.log.info({ source: body.sourceServer, expiresAt: opened.expiresAt }, 'incoming sync session opened');
        return { token: opened.token, expiresAt: opened.expiresAt, serverName: opened.serverName };
      },

      listShares: async ({ request }) => ({ shares: await store.listShares(sourceOf(request)) }),

      getManifest: async ({ params, query, request, reply }) => {
        const share = shareOf(request, params);
        if (query.generation !== undefined) return sendSnapshotManifest(reply, share, query.generation);
        if (request.headers[SYNC_RUN_HEADER] === SYNC_RUN_START) {
          try {
            const dropped = await store.dropUncommitted(share);
            if (dropped.deferred) request.log.info(share, 'uncommitted objects kept for now: a write for this share is still running');
            else if (dropped.removedFiles > 0) request.log.info({ ...share, ...dropped }, 'removed the objects an unfinished sync left uncommitted');
          } catch (error) {
            // a cleanup that fails (a symlink planted on this disk, say) must not stop the sync: it is tried again next run
            request.log.warn({ ...share, err: error }, 'could not remove the objects an unfinished sync left uncommitted');
          }
        }
        // the journal header says this peer keeps journals, also when it stores nothing yet
        reply.header(MANIFEST_JOURNAL_HEADER, (await store.journalGenerations(share)).join(','));
        // the writes of the run carry it back: a deletion of the share meanwhile refuses them
        reply.header(SHARE_INCARNATION_HEADER, String(store.incarnation(share)));
        const known = numberHeader(request, IF_GENERATION_HEADER);
        if (known !== undefined && known === (await store.currentGeneration(share))) return reply.status(304).send();
        return sendStored(reply, await store.openManifest(share));
      },

      putManifestDelta: async ({ params, query, body, request, reply }) => {
        const share = shareOf(request, params);
        await writeOfRun(share, request, (incarnation) =>
          store.putManifestDelta(share, query.generation, body, announcedSha256(request), announcedTotals(request), incarnation),
        );
        return reply.status(204).send();
      },

      getManifestDelta: async ({ params, query, request, reply }) => {
        const share = shareOf(request, params);
        const { generation, snapshot } = query;
        if (snapshot === undefined) return sendStored(reply, await store.openManifestDelta(share, generation));
        const delta = store.snapshotChain(share, snapshot)?.deltas.find((candidate) => candidate.generation === generation);
        if (delta === undefined) throw new AnemoneError('NOT_FOUND', { message: `Snapshot ${snapshot} of this share has no delta of generation ${generation} kept here` });
        return sendStored(reply, await store.openChainFile(delta.file));
      },

      putManifest: async ({ params, body, request, reply }) => {
        const share = shareOf(request, params);
        await writeOfRun(share, request, (incarnation) =>
          store.putManifest(share, body, announcedSha256(request), announcedGeneration(request), announcedTotals(request), incarnation),
        );
        return reply.status(204).send();
      },

      putFile: async ({ params, query, body, request, reply }) => {
        const share = shareOf(request, params);
        await duringLargeTransfer(() => writeOfRun(share, request, () => store.putFile(share, query.path, body, announcedSha256(request))));
        return reply.status(204).send();
      },

      putBatch: async ({ params, body, request }) => {
        const share = shareOf(request, params);
        return writeOfRun(share, request, () => store.putBatch(share, body));
      },

      uploadOffset: async ({ params, body, request }) => store.uploadOffset(shareOf(request, params), body.path, body.uploadId, body.size),

      appendUpload: async ({ params, query, body, request }) => {
        const share = shareOf(request, params);
        const started = uploadOffsetOf(request);
        const appended = await duringLargeTransfer(() => writeOfRun(share, request, () => store.appendUpload(share, query.path, query.uploadId, started, body)));
        if (started > 0 && appended.complete) request.log.info({ ...share, resumedAt: started, size: appended.offset }, 'resumed upload completed');
        return appended;
      },

      getFile: async ({ params, query, request, reply }) => sendStored(reply, await store.openFile(shareOf(request, params), query.path, query.ctSha256)),

      listSnapshots: async ({ params, request }) => ({ snapshots: store.listSnapshots(shareOf(request, params)) }),

      listFiles: async ({ params, request }) => ({ files: await store.listFiles(shareOf(request, params)) }),

      deleteFiles: async ({ params, body, request }) => store.deleteFiles(shareOf(request, params), body.paths),

      hashFiles: async ({ params, body, request }) => ({ files: await store.hashFiles(shareOf(request, params), body.paths) }),

      putRecoveryKit: async ({ body, request, reply }) => {
        const announced = announcedSha256(request);
        if (announced === 'trailer') throw new AnemoneError('VALIDATION_FAILED', { message: `A recovery kit is sent with its SHA-256 in the ${CT_SHA256_HEADER} header` });
        await deps.incoming.kits.put(sourceOf(request), body, announced.hex);
        return reply.status(204).send();
      },

      fetchRecoveryKit: async ({ body, request, reply }) => {
        await auth.authorizeKitFetch(body.password, callerOf(request));
        request.log.warn({ source: body.sourceServer, address: request.ip }, 'recovery kit handed out against the server password');
        return sendStored(reply, await deps.incoming.kits.open(body.sourceServer));
      },
    };

    for (const name of Object.keys(syncRoutes) as SyncRouteName[]) registerRoute(app, name, handlers[name], requireSession);

    // a caller of a later protocol version gets told which server to upgrade, not a bare 404
    // (left out of the OpenAPI document: it answers errors only)
    app.all(`${SYNC_ROOT}/:version/*`, { schema: { hide: true } }, async (request) => {
      const { version } = request.params as { version: string };
      const wanted = /^v([1-9]\d{0,5})$/.exec(version)?.[1];
      if (wanted !== undefined && Number(wanted) > PROTOCOL_VERSION) throw versionUnsupported(Number(wanted));
      throw new AnemoneError('NOT_FOUND', { message: `No route ${request.method} ${request.url.split('?')[0]}` });
    });
  };
}

/** What a handler of route `K` receives: the inputs validated against its table entry. */
interface SyncCall<K extends SyncRouteName> {
  params: RouteParams<K>;
  query: RouteQuery<K>;
  /** A JSON body as validated, or the upload as an unread stream (`application/octet-stream`). */
  body: K extends JsonBodyRoute ? RouteJsonBody<K> : K extends UploadRoute ? IncomingMessage : undefined;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** A JSON answer as the table's response schema says, or the reply when the route answers bytes. */
type SyncAnswer<K extends SyncRouteName> = K extends JsonResponseRoute ? RouteJsonResponse<K> : FastifyReply;

type SyncHandler<K extends SyncRouteName> = (call: SyncCall<K>) => Promise<SyncAnswer<K>>;

/** One handler per route of the protocol table: a route without one does not compile. */
export type SyncHandlers = { [K in SyncRouteName]: SyncHandler<K> };

/** Registers route `name` from its table entry: method, path, the session check and fastify's zod validation. */
function registerRoute<K extends SyncRouteName>(
  app: Parameters<FastifyPluginAsyncZod>[0],
  name: K,
  handler: SyncHandler<K>,
  requireSession: (request: FastifyRequest) => Promise<void>,
): void {
  const entry: RouteEntry = syncRoutes[name];
  app.route({
    method: entry.method,
    url: entry.path,
    ...(entry.auth === 'session' ? { onRequest: requireSession } : {}),
    schema: {
      ...(entry.params ? { params: entry.params } : {}),
      ...(entry.query ? { querystring: entry.query } : {}),
      ...(typeof entry.body === 'object' ? { body: entry.body } : {}),
      ...(typeof entry.response === 'object' ? { response: { 200: entry.response } } : {}),
    },
    handler: async (request, reply) => {
      const body = typeof entry.body === 'object' ? request.body : entry.body === 'none' ? undefined : uploadOf(request);
      // fastify validated params, query and a JSON body with the entry's schemas above
      return handler({ params: request.params, query: request.query, body, request, reply } as SyncCall<K>);
    },
  });
}

function versionUnsupported(wanted: number): AnemoneError {
  return new AnemoneError('PROTOCOL_VERSION_UNSUPPORTED', {
    message: `This server speaks peer protocol v${PROTOCOL_VERSION}; the other server needs v${wanted}`,
    hint: 'Upgrade this server to the version the other server runs; until then the two cannot sync.',
  });
}

/** The caller as TLS saw it: never a name from the URL or a header. */
function callerOf(request: FastifyRequest): PeerCaller {
  const certificate = (request.raw.socket as TLSSocket).getPeerX509Certificate?.();
  return { clientFingerprint: certificate?.fingerprint256, address: request.ip };
}

/** The upload as a stream: only an `application/octet-stream` body is left unread for the store. */
function uploadOf(request: FastifyRequest): IncomingMessage {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('application/octet-stream')) {
    throw new AnemoneError('VALIDATION_FAILED', { message: 'An upload is sent as application/octet-stream' });
  }
  return request.raw;
}

/** The header's hex SHA-256, or `trailer`: the hash follows the bytes (see protocol/v1/hash-trailer.ts). */
function announcedSha256(request: FastifyRequest): AnnouncedSha256 {
  const value = request.headers[CT_SHA256_HEADER];
  if (value === CT_SHA256_TRAILER) return 'trailer';
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw new AnemoneError('VALIDATION_FAILED', {
      message: `An upload needs the ${CT_SHA256_HEADER} header: the SHA-256 of its bytes in lowercase hex, or "${CT_SHA256_TRAILER}"`,
    });
  }
  return { hex: value };
}

/** The offset an appendUpload body starts at: a decimal byte count. */
function uploadOffsetOf(request: FastifyRequest): number {
  const value = request.headers[UPLOAD_OFFSET_HEADER];
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
    throw new AnemoneError('VALIDATION_FAILED', { message: `A resumed upload needs the ${UPLOAD_OFFSET_HEADER} header: the byte its body starts at` });
  }
  return Number(value);
}

function sendStored(reply: FastifyReply, stored: StoredFileStream): FastifyReply {
  return reply.type('application/octet-stream').header('content-length', stored.size).send(stored.stream);
}

/** Headers that go with some refusals: how to authenticate, how long to wait. */
function addErrorHeaders(error: AnemoneError, reply: FastifyReply): void {
  if (error.code === 'PEER_UNAUTHORIZED') reply.header('www-authenticate', 'AnemonePeer realm="sync"');
  if (error.code === 'TOO_MANY_ATTEMPTS') {
    const seconds = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (seconds !== undefined) reply.header('retry-after', String(seconds));
  }
}

/** The generation a source announces with its manifest, when it sends a well-formed one (stats only). */
function announcedGeneration(request: FastifyRequest): number | undefined {
  return numberHeader(request, MANIFEST_GENERATION_HEADER);
}

/** The plaintext totals a source announces with a manifest or delta (shown with the snapshot only). */
function announcedTotals(request: FastifyRequest): { fileCount: number | null; bytes: number | null } {
  return { fileCount: numberHeader(request, MANIFEST_FILES_HEADER) ?? null, bytes: numberHeader(request, MANIFEST_BYTES_HEADER) ?? null };
}

/** A header holding a whole number (a generation, an incarnation), when well-formed. */
function numberHeader(request: FastifyRequest, header: string): number | undefined {
  const value = request.headers[header];
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
