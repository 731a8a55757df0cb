import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { scheduleSchema, scheduleViewSchema } from '../../contract/settings.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import { requireAdmin } from '../session.js';

/**
 * The automatic sync schedule (PRODUCT.md §5). PUT takes the whole schedule,
 * every field of every mode, and answers as GET; `timeZone`, `nextRunAt` and
 * `lastRunAt` are the server's to say, so a client may send back what GET
 * gave it and they are ignored. The admin check runs on request, before the
 * body is validated, so a non-administrator learns nothing of its fields.
 */
export function scheduleRoutes(deps: { scheduler: Scheduler }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/sync/config', { onRequest: requireAdmin, schema: { response: { 200: scheduleViewSchema } } }, async () => deps.scheduler.view());

    app.put(
      '/api/admin/sync/config',
      { onRequest: requireAdmin, schema: { body: scheduleSchema, response: { 200: scheduleViewSchema } } },
      async (request) => deps.scheduler.update(request.body),
    );
  };
}
