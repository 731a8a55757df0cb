import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  runningSyncsSchema,
  shareSyncStatusSchema,
  syncLogDetailSchema,
  syncLogPageSchema,
  syncLogQuerySchema,
  syncLogSchema,
  type syncProgressSchema,
  syncRunEntriesSchema,
  type syncRunEntrySchema,
  syncStartedSchema,
} from '../../contract/sync.js';
import type { FastifyRequest } from 'fastify';
import type { Repositories, ShareRow, SyncLogRow } from '../../db/index.js';
import { displayPath } from '../../manifest/file-keys.js';
import { AnemoneError } from '../../errors/catalogue.js';
import type { SyncService } from '../../sync/sync-service.js';
import type { RunningSync } from '../../sync/types.js';
import { runEntriesCsv } from '../run-entries-csv.js';
import { currentUser, requireAdmin, requireUser } from '../session.js';

const logIdParams = z.object({ id: z.coerce.number().int().positive() });

const shareParams = z.object({ id: z.coerce.number().int().positive() });
const runParams = z.object({ logId: z.coerce.number().int().positive().describe('the running sync, by its log id') });

function logView(row: SyncLogRow): z.infer<typeof syncLogSchema> {
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

function progressView(run: RunningSync): z.infer<typeof syncProgressSchema> {
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

function cancelledRow(repos: Pick<Repositories, 'syncLogs'>, logId: number): z.infer<typeof syncLogSchema> {
  const row = repos.syncLogs.findById(logId);
  if (!row) throw new AnemoneError('SYNC_NOT_RUNNING');
  return logView(row);
}

function findLog(repos: Pick<Repositories, 'syncLogs'>, id: number): SyncLogRow {
  const row = repos.syncLogs.findById(id);
  if (!row) throw new AnemoneError('NOT_FOUND', { message: 'No such sync log', hint: 'Open the sync log again and pick the run from the list.' });
  return row;
}

function runEntries(repos: Pick<Repositories, 'syncHistory'>, logId: number): z.infer<typeof syncRunEntrySchema>[] {
  return repos.syncHistory.entries(logId).map(({ action, relPath, bytes, reason }) => ({ action, key: relPath, path: displayPath(relPath), bytes, reason }));
}

/** Answers 202 when at least one run started, 409 when every one was refused. */
function startedOrConflict(result: z.infer<typeof syncStartedSchema>) {
  if (result.started.length === 0 && result.refused.length > 0) {
    throw new AnemoneError('SYNC_ALREADY_RUNNING', { message: result.refused.map((refusal) => refusal.message).join('; ') });
  }
  return { started: result.started.map(({ logId, shareId, peerId, peerName }) => ({ logId, shareId, peerId, peerName })), refused: result.refused };
}

export function syncRoutes(deps: { sync: SyncService; repos: Pick<Repositories, 'shares' | 'syncLogs' | 'syncHistory'> }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/api/shares/:id/sync', { preHandler: requireUser, schema: { params: shareParams, response: { 202: syncStartedSchema } } }, async (request, reply) => {
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
          response: { 200: shareSyncStatusSchema },
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
      { preHandler: requireUser, schema: { params: shareParams.merge(runParams), response: { 200: syncLogSchema } } },
      async (request) => {
        const share = ownShare(request, deps.repos, request.params.id);
        await deps.sync.cancel(request.params.logId, currentUser(request).username, (run) => run.shareId === share.id);
        return cancelledRow(deps.repos, request.params.logId);
      },
    );

    app.post('/api/admin/sync/running/:logId/cancel', { preHandler: requireAdmin, schema: { params: runParams, response: { 200: syncLogSchema } } }, async (request) => {
      await deps.sync.cancel(request.params.logId, currentUser(request).username);
      return cancelledRow(deps.repos, request.params.logId);
    });

    app.post('/api/admin/sync/force', { preHandler: requireAdmin, schema: { response: { 202: syncStartedSchema } } }, async (_request, reply) =>
      reply.status(202).send(startedOrConflict(deps.sync.syncEverything({ force: true }))),
    );

    app.post(
      '/api/admin/sync/confirm-deletions',
      {
        preHandler: requireAdmin,
        schema: {
          body: z.object({ logId: z.number().int().positive().describe('the run the mass-deletion guard or the ransomware tripwire held: its plan, and only it, is confirmed') }),
          response: { 202: syncStartedSchema },
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
          querystring: syncLogQuerySchema,
          response: { 200: syncLogPageSchema },
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
          response: { 200: syncRunEntriesSchema },
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
          // the list holds the first NOT_BACKED_UP_LISTED files; `notBackedUp` is the full count
          response: { 200: syncLogDetailSchema },
        },
      },
      async (request) => {
        const row = findLog(deps.repos, request.params.id);
        const files = deps.repos.syncLogs.notBackedUpFiles(row.id).map((file) => ({ key: file.relPath, path: displayPath(file.relPath), reason: file.reason }));
        return { ...logView(row), notBackedUpFiles: files };
      },
    );

    app.get('/api/admin/sync/running', { preHandler: requireAdmin, schema: { response: { 200: runningSyncsSchema } } }, async () => ({
      running: deps.sync.runningSyncs().map(progressView),
    }));
  };
}
