import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Repositories, ShareRow, SyncLogRow } from '../../db/index.js';
import { displayPath } from '../../manifest/file-keys.js';
import { AnemoneError } from '../../errors/catalogue.js';
import type { SyncService } from '../../sync/sync-service.js';
import type { RunningSync } from '../../sync/types.js';
import { runEntriesCsv } from '../run-entries-csv.js';
import { currentUser, requireAdmin, requireUser } from '../session.js';

const startedSchema = z.object({ logId: z.number(), shareId: z.number(), peerId: z.number(), peerName: z.string() });
const refusedSchema = z.object({ shareId: z.number(), peerId: z.number(), peerName: z.string(), code: z.string(), message: z.string() });
const startResponse = z.object({ started: z.array(startedSchema), refused: z.array(refusedSchema) });

const logSchema = z.object({
  id: z.number(),
  user: z.string(),
  share: z.string(),
  peer: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z
    .enum(['running', 'success', 'failure', 'interrupted', 'cancelled'])
    .describe('cancelled: a person stopped the run (stored as interrupted with the code SYNC_CANCELLED); the next run resumes from what arrived'),
  fileCount: z.number(),
  bytesTransferred: z.number(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  hint: z.string().nullable(),
  /** Files this run left out (unreadable, refused by the peer…); a success with some is not a plain success. */
  notBackedUp: z.number(),
  attempt: z.number().describe('1 for a run as started; 2, 3 and 4 for the automatic retries (1, 2 and 3 of 3) of a failed scheduled run'),
  filesDeleted: z.number().describe('Files this run deleted on the peer'),
});

const pageRowSchema = logSchema.extend({
  foldedRuns: z.number().describe('1 for a run; with fold=quiet, N > 1 when this row stands for N runs of that UTC day that changed nothing (it is the latest of them)'),
});

const runEntrySchema = z.object({
  action: z.enum(['sent', 'deleted', 'skipped']),
  /** The file's key, as downloads and restores address it. */
  key: z.string(),
  path: z.string(),
  bytes: z.number().nullable().describe('Plaintext bytes of a file sent'),
  reason: z.string().nullable().describe('Why a file was skipped'),
});

const logIdParams = z.object({ id: z.coerce.number().int().positive() });

const notBackedUpSchema = z.object({
  /** The file's key, as downloads and restores address it. */
  key: z.string(),
  /** The same path as a person reads it (names that are not UTF-8 decoded lossily). */
  path: z.string(),
  reason: z.string(),
});

const progressSchema = z.object({
  logId: z.number(),
  user: z.string(),
  share: z.string(),
  peer: z.string(),
  startedAt: z.string(),
  phase: z.string(),
  filesDone: z.number(),
  filesTotal: z.number(),
  bytesDone: z.number().describe('Plaintext bytes of the plan sent so far, moving while a large file streams (bytesTotal is plaintext too)'),
  bytesTotal: z.number(),
  bytesPerSecond: z.number().nullable().describe('Upload rate over the last few seconds, in plaintext bytes; null outside the upload or before a second was measured'),
  etaSeconds: z.number().nullable().describe('Seconds left at that rate; null when unknown'),
});

const shareParams = z.object({ id: z.coerce.number().int().positive() });
const runParams = z.object({ logId: z.coerce.number().int().positive().describe('the running sync, by its log id') });

function logView(row: SyncLogRow): z.infer<typeof logSchema> {
  return {
    id: row.id,
    user: row.username,
    share: row.shareName,
    peer: row.peerName,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    status: row.status === 'interrupted' && row.errorCode === 'SYNC_CANCELLED' ? 'cancelled' : row.status,
    fileCount: row.fileCount,
    bytesTransferred: row.bytesTransferred,
    error: row.error,
    errorCode: row.errorCode,
    hint: row.hint,
    notBackedUp: row.notBackedUp,
    attempt: row.attempt,
    filesDeleted: row.filesDeleted,
  };
}

function progressView(run: RunningSync): z.infer<typeof progressSchema> {
  return {
    logId: run.logId,
    user: run.username,
    share: run.shareName,
    peer: run.peerName,
    startedAt: run.startedAt,
    phase: run.phase,
    filesDone: run.filesDone,
    filesTotal: run.filesTotal,
    bytesDone: run.bytesDone,
    bytesTotal: run.bytesTotal,
    bytesPerSecond: run.bytesPerSecond,
    etaSeconds: run.etaSeconds,
  };
}

/** The signed-in user's own share; someone else's is "not found", not "forbidden": ids reveal nothing. */
function ownShare(request: FastifyRequest, repos: Pick<Repositories, 'shares'>, shareId: number): ShareRow {
  const share = repos.shares.findById(shareId);
  if (!share || share.userId !== currentUser(request).id) throw new AnemoneError('NOT_FOUND', { message: 'No such share' });
  return share;
}

function cancelledRow(repos: Pick<Repositories, 'syncLogs'>, logId: number): z.infer<typeof logSchema> {
  const row = repos.syncLogs.findById(logId);
  if (!row) throw new AnemoneError('SYNC_NOT_RUNNING');
  return logView(row);
}

function findLog(repos: Pick<Repositories, 'syncLogs'>, id: number): SyncLogRow {
  const row = repos.syncLogs.findById(id);
  if (!row) throw new AnemoneError('NOT_FOUND', { message: 'No such sync log', hint: 'Open the sync log again and pick the run from the list.' });
  return row;
}

function runEntries(repos: Pick<Repositories, 'syncHistory'>, logId: number): z.infer<typeof runEntrySchema>[] {
  return repos.syncHistory.entries(logId).map(({ action, relPath, bytes, reason }) => ({ action, key: relPath, path: displayPath(relPath), bytes, reason }));
}

/** Answers 202 when at least one run started, 409 when every one was refused. */
function startedOrConflict(result: { started: z.infer<typeof startedSchema>[]; refused: z.infer<typeof refusedSchema>[] }) {
  if (result.started.length === 0 && result.refused.length > 0) {
    throw new AnemoneError('SYNC_ALREADY_RUNNING', { message: result.refused.map((refusal) => refusal.message).join('; ') });
  }
  return { started: result.started.map(({ logId, shareId, peerId, peerName }) => ({ logId, shareId, peerId, peerName })), refused: result.refused };
}

export function syncRoutes(deps: { sync: SyncService; repos: Pick<Repositories, 'shares' | 'syncLogs' | 'syncHistory'> }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/api/shares/:id/sync', { preHandler: requireUser, schema: { params: shareParams, response: { 202: startResponse } } }, async (request, reply) => {
      const share = ownShare(request, deps.repos, request.params.id);
      return reply.status(202).send(startedOrConflict(deps.sync.syncShare(share.id)));
    });

    // what the owner of a share may see of its syncs (the admin routes below show everyone's):
    // the runs in progress with their progress, and the runs it asks for by log id (the ones its Sync started)
    app.get(
      '/api/shares/:id/sync',
      {
        preHandler: requireUser,
        schema: {
          params: shareParams,
          querystring: z.object({
            logIds: z
              .string()
              .regex(/^\d{1,15}(,\d{1,15}){0,49}$/, 'Give up to 50 log ids separated by commas')
              .optional(),
          }),
          response: { 200: z.object({ running: z.array(progressSchema), runs: z.array(logSchema) }) },
        },
      },
      async (request) => {
        const share = ownShare(request, deps.repos, request.params.id);
        const logIds = request.query.logIds?.split(',').map(Number) ?? [];
        return {
          running: deps.sync
            .runningSyncs()
            .filter((run) => run.shareId === share.id)
            .map(progressView),
          runs: logIds
            .map((id) => deps.repos.syncLogs.findById(id))
            .filter((row): row is SyncLogRow => row !== undefined && row.shareId === share.id)
            .map(logView),
        };
      },
    );

    // Cancel: the owner of a share stops its runs; an administrator any run (below). The answer is the run's row once it ended.
    app.post(
      '/api/shares/:id/sync/:logId/cancel',
      { preHandler: requireUser, schema: { params: shareParams.merge(runParams), response: { 200: logSchema } } },
      async (request) => {
        const share = ownShare(request, deps.repos, request.params.id);
        await deps.sync.cancel(request.params.logId, currentUser(request).username, (run) => run.shareId === share.id);
        return cancelledRow(deps.repos, request.params.logId);
      },
    );

    app.post('/api/admin/sync/running/:logId/cancel', { preHandler: requireAdmin, schema: { params: runParams, response: { 200: logSchema } } }, async (request) => {
      await deps.sync.cancel(request.params.logId, currentUser(request).username);
      return cancelledRow(deps.repos, request.params.logId);
    });

    app.post('/api/admin/sync/force', { preHandler: requireAdmin, schema: { response: { 202: startResponse } } }, async (_request, reply) =>
      reply.status(202).send(startedOrConflict(deps.sync.syncEverything({ force: true }))),
    );

    app.post(
      '/api/admin/sync/confirm-deletions',
      {
        preHandler: requireAdmin,
        schema: {
          body: z.object({ logId: z.number().int().positive().describe('the run the mass-deletion guard or the ransomware tripwire held: its plan, and only it, is confirmed') }),
          response: { 202: startResponse },
        },
      },
      async (request, reply) => {
        const started = deps.sync.confirmHeldPlan(request.body.logId);
        return reply.status(202).send(startedOrConflict({ started: [started], refused: [] }));
      },
    );

    app.get(
      '/api/admin/sync/logs',
      {
        preHandler: requireAdmin,
        schema: {
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0).describe('Rows (lines, when folded) to skip, newest first'),
            status: z.enum(['running', 'success', 'failure', 'interrupted']).optional(),
            user: z.string().min(1).max(200).optional().describe("The owner's username"),
            share: z.string().min(1).max(200).optional().describe('The share name: backup'),
            peer: z.string().min(1).max(200).optional().describe("The peer's name"),
            fold: z.enum(['quiet']).optional().describe('quiet: successful runs that sent, deleted and skipped nothing become one row per UTC day, share and peer'),
          }),
          response: { 200: z.object({ logs: z.array(pageRowSchema), total: z.number().describe('Rows (lines, when folded) matching the filters'), offset: z.number(), limit: z.number() }) },
        },
      },
      async (request) => {
        const { limit, offset, status, user, share, peer, fold } = request.query;
        const page = deps.repos.syncHistory.page({ limit, offset, status, user, share, peer, foldQuiet: fold === 'quiet' });
        return { logs: page.rows.map((row) => ({ ...logView(row), foldedRuns: row.foldedRuns })), total: page.total, offset, limit };
      },
    );

    app.get(
      '/api/admin/sync/logs/:id/entries',
      {
        preHandler: requireAdmin,
        schema: {
          params: logIdParams,
          response: {
            200: z.object({
              entries: z.array(runEntrySchema),
              // the lists are capped (RUN_ENTRIES_LISTED sent and deleted, NOT_BACKED_UP_LISTED skipped): what a run did beyond them
              unlisted: z.object({ sent: z.number(), deleted: z.number(), skipped: z.number() }).describe('Files the run handled beyond the listed ones, or whose list was pruned'),
            }),
          },
        },
      },
      async (request) => {
        const row = findLog(deps.repos, request.params.id);
        const entries = runEntries(deps.repos, row.id);
        const listed = { sent: 0, deleted: 0, skipped: 0 };
        for (const entry of entries) listed[entry.action] += 1;
        // a failed run's sent files are not listed: its count is what reached the peer before it stopped
        const sentTotal = row.status === 'success' ? row.fileCount : listed.sent;
        return { entries, unlisted: { sent: sentTotal - listed.sent, deleted: row.filesDeleted - listed.deleted, skipped: row.notBackedUp - listed.skipped } };
      },
    );

    // the same list as a download: a spreadsheet opens it (the JSON route above says how many are unlisted)
    app.get('/api/admin/sync/logs/:id/entries.csv', { preHandler: requireAdmin, schema: { params: logIdParams } }, async (request, reply) => {
      const row = findLog(deps.repos, request.params.id);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sync-run-${row.id}.csv"`)
        .send(runEntriesCsv(runEntries(deps.repos, row.id)));
    });

    app.get(
      '/api/admin/sync/logs/:id',
      {
        preHandler: requireAdmin,
        schema: {
          params: z.object({ id: z.coerce.number().int().positive() }),
          response: {
            // the list holds the first NOT_BACKED_UP_LISTED files; `notBackedUp` is the full count
            200: logSchema.extend({ notBackedUpFiles: z.array(notBackedUpSchema) }),
          },
        },
      },
      async (request) => {
        const row = findLog(deps.repos, request.params.id);
        const files = deps.repos.syncLogs.notBackedUpFiles(row.id).map((file) => ({ key: file.relPath, path: displayPath(file.relPath), reason: file.reason }));
        return { ...logView(row), notBackedUpFiles: files };
      },
    );

    app.get('/api/admin/sync/running', { preHandler: requireAdmin, schema: { response: { 200: z.object({ running: z.array(progressSchema) }) } } }, async () => ({
      running: deps.sync.runningSyncs().map(progressView),
    }));
  };
}
