import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Repositories } from '../../db/index.js';
import { buildDashboard } from '../../monitoring/dashboard.js';
import type { PeerService } from '../../peers/peer-service.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { ShareService } from '../../shares/share-service.js';
import { currentUser, requireUser } from '../session.js';

const reasonSchema = z.object({ code: z.string(), message: z.string(), hint: z.string(), at: z.string().nullable() });

const dashboardSchema = z.object({
  verdict: z
    .object({
      state: z.enum(['ok', 'attention', 'nothing-to-back-up']),
      sharesTotal: z.number().describe('synced shares of activated users'),
      sharesBackedUp: z.number().describe('of those, the ones with a successful sync'),
      oldestBackupAt: z.string().nullable().describe("the oldest of those shares' last successful syncs"),
      reasons: z.array(reasonSchema).describe('what needs attention, each with what to do; empty when state is ok'),
    })
    .describe('the headline: "All 4 shares backed up, the oldest 3 minutes ago", or what needs attention'),
  nextRunAt: z.string().nullable().describe('the next scheduled run; null when automatic sync is off'),
  users: z.array(z.object({ user: z.string(), fileCount: z.number(), sizeBytes: z.number() })).describe("each user's shares added up"),
  shares: z.array(
    z.object({
      id: z.number(),
      user: z.string(),
      name: z.string(),
      syncEnabled: z.boolean(),
      lastSuccessfulSyncAt: z.string().nullable(),
      /** Files the share's last run left out; the list is at GET /api/admin/sync/logs/:logId. */
      notBackedUp: z.object({ count: z.number(), logId: z.number(), peer: z.string(), finishedAt: z.string() }).nullable(),
      fileCount: z.number().nullable().describe('files in the share now (measured at most every 30 seconds); null when it could not be measured'),
      sizeBytes: z.number().nullable(),
    }),
  ),
  connectedPeers: z.number(),
  peers: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      enabled: z.boolean(),
      status: z.string().nullable(),
      statusMessage: z.string().nullable(),
      lastContactAt: z.string().nullable(),
      lastSeenAt: z.string().nullable().describe('the last time the peer answered: "last seen online"'),
    }),
  ),
  recentFailures: z
    .array(
      z.object({
        id: z.number(),
        user: z.string(),
        share: z.string(),
        peer: z.string(),
        finishedAt: z.string().nullable(),
        errorCode: z.string().nullable(),
        error: z.string().nullable(),
        hint: z.string().nullable(),
      }),
    )
    .optional(),
  waiting: z
    .array(z.object({ code: z.enum(['USER_NOT_ACTIVATED', 'PEER_NOT_PINNED']), subject: z.string(), message: z.string(), hint: z.string() }))
    .optional()
    .describe('administrators only: users and peers that scheduled syncs and Force Sync leave out, and why'),
});

export function dashboardRoutes(deps: {
  repos: Pick<Repositories, 'shares' | 'syncLogs' | 'users'>;
  peers: PeerService;
  scheduler: Pick<Scheduler, 'view'>;
  shares: Pick<ShareService, 'sizesOf'>;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/dashboard', { preHandler: requireUser, schema: { response: { 200: dashboardSchema } } }, async (request) =>
      buildDashboard(currentUser(request), {
        repos: deps.repos,
        peers: deps.peers,
        nextRunAt: () => deps.scheduler.view().nextRunAt,
        sizesOf: (rows) => deps.shares.sizesOf(rows),
      }),
    );
  };
}
