import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { dashboardSchema } from '../../contract/dashboard.js';
import type { Repositories } from '../../db/index.js';
import { buildDashboard } from '../../monitoring/dashboard.js';
import type { PeerService } from '../../peers/peer-service.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { ShareService } from '../../shares/share-service.js';
import { currentUser, requireUser } from '../session.js';

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
