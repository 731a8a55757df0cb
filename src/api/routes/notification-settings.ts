import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AnemoneError } from '../../errors/catalogue.js';
import { NOTIFICATION_EVENTS } from '../../notifications/events.js';
import type { Notifier } from '../../notifications/notifier.js';
import type { NotificationSettingsStore } from '../../notifications/settings.js';
import { requireAdmin } from '../session.js';

const eventsSchema = z.array(z.enum(NOTIFICATION_EVENTS)).max(NOTIFICATION_EVENTS.length * 2).describe('what to be told about: failure, held, stale, recovered');

const webhookUrlSchema = z
  .string()
  .max(2048, 'Use at most 2048 characters')
  .refine((text) => URL.canParse(text) && ['http:', 'https:'].includes(new URL(text).protocol), 'Give an http:// or https:// address');

const addressList = z
  .string()
  .max(1024)
  .refine((text) => text.split(',').every((part) => z.email().safeParse(part.trim()).success), 'Give one or more email addresses, separated by commas');

const emailFields = {
  host: z.string().trim().min(1, 'Give the SMTP server').max(253),
  port: z.number().int().min(1).max(65535),
  secure: z.boolean().describe('true: implicit TLS (usually port 465); false: STARTTLS when the server offers it (587, 25)'),
  username: z.string().max(320).nullable(),
  from: z.email('Give an email address').max(320),
  to: addressList,
};

const settingsResponse = z.object({
  webhookUrl: z.string().nullable(),
  email: z.object({ ...emailFields, from: z.string(), to: z.string(), host: z.string(), passwordSet: z.boolean() }).nullable(),
  events: z.array(z.enum(NOTIFICATION_EVENTS)),
  staleAfterHours: z.number(),
});

const channelOutcome = z.object({ ok: z.boolean(), error: z.string().optional() }).nullable().describe('null: this channel is not configured');

/**
 * Notifications by webhook and email (docs/notifications.md). The SMTP
 * password is write-only: GET says whether one is set; PUT without it keeps
 * it, `null` removes it.
 */
export function notificationRoutes(deps: { settings: NotificationSettingsStore; notifier: Pick<Notifier, 'sendTest'> }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/settings/notifications', { preHandler: requireAdmin, schema: { response: { 200: settingsResponse } } }, async () => deps.settings.view());

    app.put(
      '/api/admin/settings/notifications',
      {
        preHandler: requireAdmin,
        schema: {
          body: z.object({
            webhookUrl: webhookUrlSchema.nullable().optional(),
            email: z
              .object({ ...emailFields, username: emailFields.username.optional(), password: z.string().max(1024).nullable().optional() })
              .nullable()
              .optional(),
            events: eventsSchema.optional(),
            staleAfterHours: z.number().int().min(1, 'Use 1 to 8760 hours').max(8760, 'Use 1 to 8760 hours').optional(),
          }),
          response: { 200: settingsResponse },
        },
      },
      async (request) => deps.settings.update(request.body),
    );

    app.post(
      '/api/admin/settings/notifications/test',
      { preHandler: requireAdmin, schema: { response: { 200: z.object({ webhook: channelOutcome, email: channelOutcome }) } } },
      async () => {
        const settings = deps.settings.get();
        if (!settings.webhookUrl && !settings.email) throw new AnemoneError('NOTIFICATIONS_NOT_CONFIGURED');
        return deps.notifier.sendTest(new Date());
      },
    );
  };
}
