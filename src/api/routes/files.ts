import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { shareListingSchema } from '../../contract/shares.js';
import { AnemoneError } from '../../errors/catalogue.js';
import { pathRefused } from '../../files/file-errors.js';
import { deleteEntry, listFolder, openForDownload } from '../../files/share-browser.js';
import type { StagedUploads } from '../../files/staged-uploads.js';
import { prepareFolder } from '../../restore/safe-target.js';
import { UPLOAD_TARGET_ERRORS } from '../../files/file-errors.js';
import { sharePathProblem } from '../../shares/share-paths.js';
import type { ShareService } from '../../shares/share-service.js';
import { currentUser, requireUser } from '../session.js';
import { sendDownload } from './restore.js';

/** Where resumable uploads live (the tus protocol); an upload's URL is this plus its id. */
export const UPLOADS_ROUTE = '/api/files/uploads';

const shareParams = z.object({ share: z.string().min(1).max(64) });
/** A path in the share as the listing gives it (a file key: `/`-separated); `''` is the share's root. */
const sharePath = z.string().max(4096);

/** A tus request's body is the file's bytes: left unread for the tus server to stream to disk. */
const TUS_BODY = 'application/offset+octet-stream';

/** How long one PATCH (a chunk of a file, 16 MiB from the web UI) may take to arrive: slow home uplinks included. */
const UPLOAD_CHUNK_TIMEOUT_MS = 15 * 60_000;

/**
 * The web file manager: browse the user's own shares, download a file, make
 * a folder, delete a file or an empty folder, and upload files resumably (tus). Everything is the signed-in
 * user's own: a share is looked up among theirs, an upload among theirs.
 */
export function fileRoutes(deps: { shares: ShareService; uploads: StagedUploads }): FastifyPluginAsyncZod {
  function shareFolder(request: FastifyRequest, share: string): string {
    const folder = deps.shares.folderOf(currentUser(request), share);
    if (!folder) throw new AnemoneError('NOT_FOUND', { message: `You have no share named "${share}"`, hint: 'Your shares are backup and data.' });
    return folder;
  }

  return async (app) => {
    // scoped to this plugin: no other route takes a raw body
    app.addContentTypeParser(TUS_BODY, (_request, _payload, done) => done(null, undefined));

    const tusRoute = { preHandler: requireUser, config: { bodyTimeoutMs: UPLOAD_CHUNK_TIMEOUT_MS } };
    const tusDescription =
      'Resumable upload, tus protocol 1.0.0 (creation, termination, expiration). POST with `Upload-Length` and `Upload-Metadata` `share`, `path` ' +
      '(folders included) and optional `lastModified` (ms) → 201 and `Location`; PATCH `application/offset+octet-stream` from `Upload-Offset`; ' +
      'HEAD gives the offset to resume from. The PATCH that completes the file answers 200 `{share, path, renamed}`: the file moved into the share, ' +
      'under `name (1).ext` when the name was taken. Only the user who started an upload can see, resume or cancel it (404 for anyone else).';
    const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id?: string };
      // someone else's upload is not found, exactly as one that never existed
      if (id !== undefined && !deps.uploads.ownsUpload(currentUser(request), id)) throw new AnemoneError('UPLOAD_NOT_FOUND');
      // the tus library loads with the first upload request: a failure to load is answered as any error, before the reply is handed over
      await deps.uploads.load();
      // from here the tus server answers on the raw response
      reply.hijack();
      reply.raw.setHeader('cache-control', 'no-store');
      try {
        await deps.uploads.handle(currentUser(request), id, request.raw, reply.raw);
      } catch (error) {
        request.log.warn({ err: error }, 'a web upload request failed');
        if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Something went wrong on the server', hint: 'Try again.' } }));
      }
    };
    app.route({ method: 'POST', url: UPLOADS_ROUTE, ...tusRoute, schema: { description: tusDescription }, handler: handOver });
    app.route({
      method: ['HEAD', 'PATCH', 'DELETE'],
      url: `${UPLOADS_ROUTE}/:id`,
      ...tusRoute,
      schema: { description: tusDescription, params: z.object({ id: z.string().max(100) }) },
      handler: handOver,
    });

    app.get(
      '/api/files/:share',
      { preHandler: requireUser, schema: { params: shareParams, querystring: z.object({ path: sharePath.default('') }), response: { 200: shareListingSchema } } },
      async (request) => ({ share: request.params.share, ...(await listFolder(shareFolder(request, request.params.share), request.query.path)) }),
    );

    // streamed from a descriptor opened without following a link or waiting on a FIFO; never read whole
    app.get(
      '/api/files/:share/file',
      { preHandler: requireUser, schema: { params: shareParams, querystring: z.object({ path: sharePath.min(1) }) } },
      async (request, reply) => {
        return sendDownload(reply, await openForDownload(shareFolder(request, request.params.share), request.query.path));
      },
    );

    app.delete(
      '/api/files/:share',
      {
        preHandler: requireUser,
        schema: {
          description: 'Deletes one file, or one empty folder (409 FOLDER_NOT_EMPTY otherwise); a link or special file is not deleted.',
          params: shareParams,
          querystring: z.object({ path: sharePath.min(1) }),
          response: { 200: z.object({ share: z.string(), path: z.string(), removed: z.enum(['file', 'folder']) }) },
        },
      },
      async (request) => ({
        share: request.params.share,
        path: request.query.path,
        ...(await deleteEntry(shareFolder(request, request.params.share), request.query.path)),
      }),
    );

    app.post(
      '/api/files/:share/folder',
      {
        preHandler: requireUser,
        schema: { params: shareParams, body: z.object({ path: sharePath.min(1) }), response: { 201: z.object({ share: z.string(), path: z.string() }) } },
      },
      async (request, reply) => {
        const { path } = request.body;
        const problem = sharePathProblem(path, 'refused');
        if (problem) throw pathRefused(path, problem);
        await prepareFolder(shareFolder(request, request.params.share), path, UPLOAD_TARGET_ERRORS);
        return reply.code(201).send({ share: request.params.share, path });
      },
    );
  };
}
