import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AnemoneError } from '../../errors/catalogue.js';
import { displayPart } from '../../manifest/file-keys.js';
import { z } from 'zod';
import {
  fileVersionsSchema,
  restoreListingSchema,
  restoreSnapshotsSchema,
  restoreSourcesSchema,
  restoreStartedSchema,
  userRestoreJobSchema,
  userRestoreJobsSchema,
} from '../../contract/restore.js';
import type { RestoreService } from '../../restore/restore-service.js';
import { userJobView } from '../../restore/restore-job.js';
import { LIST_BODY_LIMIT } from '../body-limits.js';
import { currentUser, requireUser } from '../session.js';

const backupParams = z.object({ peerId: z.coerce.number().int().positive(), share: z.string().min(1).max(64) });
/** Backup paths as the manifest holds them: relative, `/`-separated; `''` is the share's root. */
const backupPath = z.string().max(4096);
const selection = z.array(backupPath).min(1).max(100_000);
/** A snapshot the peer keeps (its id from `…/snapshots`); without it, the latest state. */
const snapshotId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * The ZIP route also takes an HTML form (`paths` = the JSON list), so the
 * browser downloads the archive itself, streamed with its own progress,
 * instead of the page holding it all in a Blob. Parsed into the same body
 * as the JSON variant, so the one schema checks both.
 */
export function parseZipForm(body: string): unknown {
  const form = new URLSearchParams(body);
  const paths = form.get('paths');
  if (paths === null) return {};
  const snapshot = form.get('snapshot');
  try {
    return { paths: JSON.parse(paths) as unknown, ...(snapshot === null || snapshot === '' ? {} : { snapshot }) };
  } catch {
    throw new AnemoneError('VALIDATION_FAILED', { message: 'The form field paths is not a JSON list of paths', hint: 'Send paths as a JSON array of strings, as the Restore page does.' });
  }
}

const FORM = 'application/x-www-form-urlencoded';

export function restoreRoutes(deps: { restore: RestoreService }): FastifyPluginAsyncZod {
  return async (app) => {
    // scoped to this plugin: no other route of the API takes a form
    app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseZipForm(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    app.get(
      '/api/restore/sources',
      { preHandler: requireUser, schema: { response: { 200: restoreSourcesSchema } } },
      async (request) => ({ sources: await deps.restore.listSources(currentUser(request)) }),
    );

    app.get(
      '/api/restore/:peerId/:share/files',
      {
        preHandler: requireUser,
        schema: { params: backupParams, querystring: z.object({ path: backupPath.default(''), snapshot: snapshotId.optional() }), response: { 200: restoreListingSchema } },
      },
      async (request) => deps.restore.browse(currentUser(request), request.params.peerId, request.params.share, request.query.path, request.query.snapshot),
    );

    app.get(
      '/api/restore/:peerId/:share/snapshots',
      { preHandler: requireUser, schema: { params: backupParams, response: { 200: restoreSnapshotsSchema } } },
      async (request) => deps.restore.snapshots(currentUser(request), request.params.peerId, request.params.share),
    );

    app.get(
      '/api/restore/:peerId/:share/versions',
      { preHandler: requireUser, schema: { params: backupParams, querystring: z.object({ path: backupPath.min(1) }), response: { 200: fileVersionsSchema } } },
      async (request) => deps.restore.versions(currentUser(request), request.params.peerId, request.params.share, request.query.path),
    );

    // the body is the decrypted file; a failure after the first bytes aborts the connection (never a complete-looking file)
    app.get(
      '/api/restore/:peerId/:share/file',
      { preHandler: requireUser, schema: { params: backupParams, querystring: z.object({ path: backupPath.min(1), snapshot: snapshotId.optional() }) } },
      async (request, reply) => {
        const file = await deps.restore.openFile(currentUser(request), request.params.peerId, request.params.share, request.query.path, request.query.snapshot);
        return sendDownload(reply, file);
      },
    );

    app.post(
      '/api/restore/:peerId/:share/zip',
      {
        // the Restore page posts a form into a hidden frame of its own: an error answer must be readable there
        onRequest: async (request, reply) => {
          if (request.headers['content-type']?.startsWith(FORM)) reply.header('x-frame-options', 'SAMEORIGIN');
        },
        preHandler: requireUser,
        bodyLimit: LIST_BODY_LIMIT,
        schema: {
          description: 'JSON `{paths}`, or a form whose field `paths` is that JSON list (a browser download, streamed by the browser itself).',
          consumes: ['application/json', FORM],
          params: backupParams,
          body: z.object({ paths: selection, snapshot: snapshotId.optional() }),
        },
      },
      async (request, reply) => {
        const { share } = request.params;
        const zip = await deps.restore.openZip(currentUser(request), request.params.peerId, share, request.body.paths, request.body.snapshot);
        reply.header('content-type', 'application/zip').header('content-disposition', attachment(zipName(share, request.body.paths)));
        if (zip.size !== undefined) reply.header('content-length', String(zip.size));
        return reply.send(zip.stream);
      },
    );

    app.post(
      '/api/restore/:peerId/:share/restore',
      {
        preHandler: requireUser,
        bodyLimit: LIST_BODY_LIMIT,
        schema: {
          params: backupParams,
          body: z.object({ paths: selection, target: z.enum(['original', 'folder']), snapshot: snapshotId.optional() }),
          response: { 202: restoreStartedSchema },
        },
      },
      async (request, reply) => {
        const { peerId, share } = request.params;
        const job = await deps.restore.restoreIntoShare(currentUser(request), peerId, share, request.body.paths, request.body.target, request.body.snapshot);
        return reply.status(202).send({ jobId: job.id });
      },
    );

    app.get('/api/restore/jobs', { preHandler: requireUser, schema: { response: { 200: userRestoreJobsSchema } } }, async (request) => ({
      jobs: deps.restore.ownJobs(currentUser(request)).map(userJobView),
    }));

    app.post(
      '/api/restore/jobs/:jobId/cancel',
      { preHandler: requireUser, schema: { params: z.object({ jobId: z.string().max(100) }), response: { 200: userRestoreJobSchema } } },
      async (request) => {
        const user = currentUser(request);
        return userJobView(await deps.restore.cancelJob(request.params.jobId, user, user));
      },
    );

    app.get(
      '/api/restore/jobs/:jobId',
      { preHandler: requireUser, schema: { params: z.object({ jobId: z.string().max(100) }), response: { 200: userRestoreJobSchema } } },
      async (request) => userJobView(deps.restore.ownJob(currentUser(request), request.params.jobId)),
    );
  };
}

/**
 * `attachment` with the name twice: an ASCII fallback for old clients and
 * the exact UTF-8 name as RFC 5987/6266 `filename*`.
 */
export function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** Sends one file as a download: its bytes streamed, its size, name and date in the headers. */
export function sendDownload(reply: FastifyReply, file: { name: string; size: number; mtimeMs: number; stream: Readable }): FastifyReply {
  reply
    .header('content-type', 'application/octet-stream')
    .header('content-length', String(file.size))
    .header('content-disposition', attachment(file.name))
    .header('last-modified', new Date(file.mtimeMs).toUTCString());
  return reply.send(file.stream);
}

/** A single folder is named after itself; anything else after the share and the day. */
function zipName(share: string, paths: readonly string[]): string {
  const only = paths.length === 1 ? (paths[0] ?? '').replace(/^\/+|\/+$/g, '') : '';
  const now = new Date();
  const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  const base = only === '' ? `${share}-${day}` : displayPart(only.split('/').at(-1) as string);
  return `${base}.zip`;
}
