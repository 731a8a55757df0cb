import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AnemoneError } from '../../errors/catalogue.js';
import { PEER_PROTOCOL_BODY_LIMIT } from '../body-limits.js';
import type { PeerCaller } from '../../incoming/peer-auth.js';
import type { IncomingServices } from '../../incoming/services.js';
import type { AnnouncedSha256, ShareRef, StoredFileStream } from '../../incoming/store.js';
import {
  CT_SHA256_HEADER,
  MANIFEST_GENERATION_HEADER,
  SYNC_RUN_HEADER,
  SYNC_RUN_START,
  IF_GENERATION_HEADER,
  MANIFEST_JOURNAL_HEADER,
  deltaAtQuery,
  MANIFEST_FILES_HEADER,
  MANIFEST_BYTES_HEADER,
  manifestAtQuery,
  versionedFileQuery,
  listSnapshotsResponse,
  CT_SHA256_TRAILER,
  UPLOAD_OFFSET_HEADER,
  appendUploadQuery,
  appendUploadResponse,
  uploadOffsetBody,
  uploadOffsetResponse,
  deleteFilesBody,
  deleteFilesResponse,
  fetchRecoveryKitBody,
  hashFilesBody,
  hashFilesResponse,
  helloResponse,
  listFilesResponse,
  listSharesResponse,
  openSessionBody,
  openSessionResponse,
  shareParams,
  storedCountResponse,
  syncRoutes,
} from '../../protocol/v1/index.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,256})$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The peer protocol v1, receiving side: every route of `syncRoutes`,
 * validated here and handed to src/incoming. Nothing secret is logged:
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

    app.setErrorHandler((error: FastifyError | AnemoneError, request, reply) => {
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

    /** A kept snapshot's full manifest, its journal (the deltas leading to it) in the journal header. */
    const sendSnapshotManifest = async (reply: FastifyReply, share: ShareRef, generation: number) => {
      const chain = store.snapshotChain(share, generation);
      if (chain === undefined) throw new AnemoneError('NOT_FOUND', { message: `No snapshot of generation ${generation} of this share is kept here` });
      reply.header(MANIFEST_JOURNAL_HEADER, chain.deltas.map((delta) => delta.generation).join(','));
      return sendStored(reply, await store.openChainFile(chain.base));
    };

    app.route({
      method: syncRoutes.hello.method,
      url: syncRoutes.hello.path,
      schema: { response: { 200: helloResponse } },
      handler: async () => auth.hello(),
    });

    app.route({
      method: syncRoutes.openSession.method,
      url: syncRoutes.openSession.path,
      schema: { body: openSessionBody, response: { 200: openSessionResponse } },
      handler: async (request) => {
        const opened = await auth.openSession(request.body, callerOf(request));
        if (opened.boundNow) request.log.info({ source: request.body.sourceServer, fingerprint: callerOf(request).clientFingerprint }, 'incoming source bound to its certificate');
        // one line per password check: sources keep their session across syncs, so this stays rare
        request.log.info({ source: request.body.sourceServer, expiresAt: opened.expiresAt }, 'incoming sync session opened');
        return { token: opened.token, expiresAt: opened.expiresAt, serverName: opened.serverName };
      },
    });

    app.route({
      method: syncRoutes.listShares.method,
      url: syncRoutes.listShares.path,
      onRequest: requireSession,
      schema: { response: { 200: listSharesResponse } },
      handler: async (request) => ({ shares: await store.listShares(sourceOf(request)) }),
    });

    app.route({
      method: syncRoutes.getManifest.method,
      url: syncRoutes.getManifest.path,
      onRequest: requireSession,
      schema: { params: shareParams, querystring: manifestAtQuery },
      handler: async (request, reply) => {
        const share = shareOf(request, request.params);
        if (request.query.generation !== undefined) return sendSnapshotManifest(reply, share, request.query.generation);
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
        const known = generationHeader(request, IF_GENERATION_HEADER);
        if (known !== undefined && known === (await store.currentGeneration(share))) return reply.status(304).send();
        return sendStored(reply, await store.openManifest(share));
      },
    });

    app.route({
      method: syncRoutes.putManifestDelta.method,
      url: syncRoutes.putManifestDelta.path,
      onRequest: requireSession,
      schema: { params: shareParams, querystring: deltaAtQuery.pick({ generation: true }) },
      handler: async (request, reply) => {
        await store.putManifestDelta(shareOf(request, request.params), request.query.generation, uploadOf(request), announcedSha256(request), announcedTotals(request));
        return reply.status(204).send();
      },
    });

    app.route({
      method: syncRoutes.getManifestDelta.method,
      url: syncRoutes.getManifestDelta.path,
      onRequest: requireSession,
      schema: { params: shareParams, querystring: deltaAtQuery },
      handler: async (request, reply) => {
        const share = shareOf(request, request.params);
        const { generation, snapshot } = request.query;
        if (snapshot === undefined) return sendStored(reply, await store.openManifestDelta(share, generation));
        const delta = store.snapshotChain(share, snapshot)?.deltas.find((candidate) => candidate.generation === generation);
        if (delta === undefined) throw new AnemoneError('NOT_FOUND', { message: `Snapshot ${snapshot} of this share has no delta of generation ${generation} kept here` });
        return sendStored(reply, await store.openChainFile(delta.file));
      },
    });

    app.route({
      method: syncRoutes.putManifest.method,
      url: syncRoutes.putManifest.path,
      onRequest: requireSession,
      schema: { params: shareParams },
      handler: async (request, reply) => {
        await store.putManifest(shareOf(request, request.params), uploadOf(request), announcedSha256(request), announcedGeneration(request), announcedTotals(request));
        return reply.status(204).send();
      },
    });

    app.route({
      method: syncRoutes.putFile.method,
      url: syncRoutes.putFile.path,
      onRequest: requireSession,
      schema: { params: shareParams, querystring: versionedFileQuery.pick({ path: true }) },
      handler: async (request, reply) => {
        await store.putFile(shareOf(request, request.params), request.query.path, uploadOf(request), announcedSha256(request));
        return reply.status(204).send();
      },
    });

    app.route({
      method: syncRoutes.putBatch.method,
      url: syncRoutes.putBatch.path,
      onRequest: requireSession,
      schema: { params: shareParams, response: { 200: storedCountResponse } },
      handler: async (request) => store.putBatch(shareOf(request, request.params), uploadOf(request)),
    });

    app.route({
      method: syncRoutes.uploadOffset.method,
      url: syncRoutes.uploadOffset.path,
      onRequest: requireSession,
      schema: { params: shareParams, body: uploadOffsetBody, response: { 200: uploadOffsetResponse } },
      handler: async (request) => store.uploadOffset(shareOf(request, request.params), request.body.path, request.body.uploadId, request.body.size),
    });

    app.route({
      method: syncRoutes.appendUpload.method,
      url: syncRoutes.appendUpload.path,
      onRequest: requireSession,
      schema: { params: shareParams, querystring: appendUploadQuery, response: { 200: appendUploadResponse } },
      handler: async (request) => {
        const share = shareOf(request, request.params);
        const started = uploadOffsetOf(request);
        const appended = await store.appendUpload(share, request.query.path, request.query.uploadId, started, uploadOf(request));
        if (started > 0 && appended.complete) request.log.info({ ...share, resumedAt: started, size: appended.offset }, 'resumed upload completed');
        return appended;
      },
    });

    app.route({
      method: syncRoutes.getFile.method,
      url: syncRoutes.getFile.path,
      onRequest: requireSession,
      schema: { params: shareParams, querystring: versionedFileQuery },
      handler: async (request, reply) => sendStored(reply, await store.openFile(shareOf(request, request.params), request.query.path, request.query.ctSha256)),
    });

    app.route({
      method: syncRoutes.listSnapshots.method,
      url: syncRoutes.listSnapshots.path,
      onRequest: requireSession,
      schema: { params: shareParams, response: { 200: listSnapshotsResponse } },
      handler: async (request) => ({ snapshots: store.listSnapshots(shareOf(request, request.params)) }),
    });

    app.route({
      method: syncRoutes.listFiles.method,
      url: syncRoutes.listFiles.path,
      onRequest: requireSession,
      schema: { params: shareParams, response: { 200: listFilesResponse } },
      handler: async (request) => ({ files: await store.listFiles(shareOf(request, request.params)) }),
    });

    app.route({
      method: syncRoutes.deleteFiles.method,
      url: syncRoutes.deleteFiles.path,
      onRequest: requireSession,
      schema: { params: shareParams, body: deleteFilesBody, response: { 200: deleteFilesResponse } },
      handler: async (request) => store.deleteFiles(shareOf(request, request.params), request.body.paths),
    });

    app.route({
      method: syncRoutes.hashFiles.method,
      url: syncRoutes.hashFiles.path,
      onRequest: requireSession,
      schema: { params: shareParams, body: hashFilesBody, response: { 200: hashFilesResponse } },
      handler: async (request) => ({ files: await store.hashFiles(shareOf(request, request.params), request.body.paths) }),
    });

    app.route({
      method: syncRoutes.putRecoveryKit.method,
      url: syncRoutes.putRecoveryKit.path,
      onRequest: requireSession,
      handler: async (request, reply) => {
        const announced = announcedSha256(request);
        if (announced === 'trailer') throw new AnemoneError('VALIDATION_FAILED', { message: `A recovery kit is sent with its SHA-256 in the ${CT_SHA256_HEADER} header` });
        await deps.incoming.kits.put(sourceOf(request), uploadOf(request), announced.hex);
        return reply.status(204).send();
      },
    });

    app.route({
      method: syncRoutes.fetchRecoveryKit.method,
      url: syncRoutes.fetchRecoveryKit.path,
      schema: { body: fetchRecoveryKitBody },
      handler: async (request, reply) => {
        await auth.authorizeKitFetch(request.body.password, callerOf(request));
        request.log.warn({ source: request.body.sourceServer, address: request.ip }, 'recovery kit handed out against the server password');
        return sendStored(reply, await deps.incoming.kits.open(request.body.sourceServer));
      },
    });
  };
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
  return generationHeader(request, MANIFEST_GENERATION_HEADER);
}

/** The plaintext totals a source announces with a manifest or delta (shown with the snapshot only). */
function announcedTotals(request: FastifyRequest): { fileCount: number | null; bytes: number | null } {
  return { fileCount: generationHeader(request, MANIFEST_FILES_HEADER) ?? null, bytes: generationHeader(request, MANIFEST_BYTES_HEADER) ?? null };
}

function generationHeader(request: FastifyRequest, header: string): number | undefined {
  const value = request.headers[header];
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
