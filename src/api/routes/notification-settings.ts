import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { notificationSettingsInputSchema, notificationSettingsSchema, notificationTestResultSchema } from '../../contract/settings.js';
import { AnemoneError } from '../../errors/catalogue.js';
import type { Notifier } from '../../notifications/notifier.js';
import type { NotificationSettingsStore } from '../../notifications/settings.js';
import { requireAdmin } from '../session.js';

/**
 * Notifications by webhook and email (docs/notifications.md). The SMTP
 * password is write-only: GET says whether one is set; PUT without it keeps
 * it, `null` removes it.
 */
export function notificationRoutes(deps: { settings: NotificationSettingsStore; notifier: Pick<Notifier, 'sendTest'> }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/settings/notifications', { preHandler: requireAdmin, schema: { response: { 200: notificationSettingsSchema } } }, async () => deps.settings.view());

    app.put(
      '/api/admin/settings/notifications',
      {
        preHandler: requireAdmin,
        schema: {
          body: notificationSettingsInputSchema,
          response: { 200: notificationSettingsSchema },
        },
      },
      async (request) => deps.settings.update(request.body),
    );

    app.post(
      '/api/admin/settings/notifications/test',
      { preHandler: requireAdmin, schema: { response: { 200: notificationTestResultSchema } } },
      async () => {
        const settings = deps.settings.get();
        if (!settings.webhookUrl && !settings.email) throw new AnemoneError('NOTIFICATIONS_NOT_CONFIGURED');
        return deps.notifier.sendTest(new Date());
      },
    );
  };
}
