import { z } from 'zod';

/** The intervals PRODUCT.md §5 offers: 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h. */
export const INTERVAL_MINUTES = [15, 30, 60, 120, 240, 480, 720, 1440] as const;

export const SCHEDULE_MODES = ['interval', 'daily', 'weekly', 'monthly'] as const;

const requiredOr = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'Required' : message);

/**
 * The automatic sync schedule. Every field is always present, whatever the
 * mode, so switching modes in the UI keeps the other modes' choices.
 */
export const scheduleSchema = z.object({
  enabled: z.boolean().describe('Automatic sync on or off'),
  mode: z.enum(SCHEDULE_MODES, { error: requiredOr(`Choose one of ${SCHEDULE_MODES.join(', ')}`) }).describe('Which of the fields below apply'),
  intervalMinutes: z.literal(INTERVAL_MINUTES, {
    error: requiredOr(`Choose one of ${INTERVAL_MINUTES.join(', ')} minutes (15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h or 24 h)`),
  }).describe('interval mode: minutes between runs, counted from the last scheduled run'),
  time: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use HH:MM on a 24-hour clock, from 00:00 to 23:59')
    .describe('daily, weekly and monthly modes: HH:MM in the server time zone'),
  dayOfWeek: z.number().int().min(0, 'Use 0 (Sunday) to 6 (Saturday)').max(6, 'Use 0 (Sunday) to 6 (Saturday)').describe('weekly mode: 0 = Sunday … 6 = Saturday'),
  // 1-28 so that every month has the day: no "31st" that silently skips February
  dayOfMonth: z.number().int().min(1, 'Use a day from 1 to 28').max(28, 'Use a day from 1 to 28').describe('monthly mode: 1 to 28'),
});

/** The schedule as GET answers it: `timeZone`, `nextRunAt` and `lastRunAt` are the server's to say. */
export const scheduleViewSchema = scheduleSchema.extend({
  timeZone: z.string().describe("The server's IANA time zone (TZ), in which times and days are read"),
  nextRunAt: z.string().nullable().describe('ISO 8601; null when automatic sync is off'),
  lastRunAt: z.string().nullable().describe('ISO 8601 start of the last scheduled run; null before the first'),
});

/** Days a peer keeps replaced and deleted objects and old manifests: 0 (a mirror) to 10 years. */
export const keepVersionsDaysSchema = z.number().int('Give a whole number of days').min(0, 'Use 0 or more days').max(3650, 'Use at most 3650 days (10 years)');

/** `fingerprint` and `peerPort`: what a peer's administrator enters and confirms to sync here. */
export const syncSettingsSchema = z.object({
  acceptIncoming: z.boolean(),
  passwordSet: z.boolean(),
  /** Days a peer keeps the old versions of the backups it holds here (0: no history). */
  keepVersionsDays: z.number().int(),
  fingerprint: z.string(),
  peerPort: z.number().int(),
});

/** This server's name, the fingerprint peers pin and the port they connect to (ANEMONE_PEER_PORT when set). */
export const serverInfoSchema = z.object({ serverName: z.string(), fingerprint: z.string(), peerPort: z.number().int(), version: z.string() });

export const NOTIFICATION_EVENTS = ['failure', 'held', 'stale', 'recovered'] as const;

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

/** GET /api/admin/settings/notifications: the SMTP password is write-only. */
export const notificationSettingsSchema = z.object({
  webhookUrl: z.string().nullable(),
  email: z.object({ ...emailFields, from: z.string(), to: z.string(), host: z.string(), passwordSet: z.boolean() }).nullable(),
  events: z.array(z.enum(NOTIFICATION_EVENTS)),
  staleAfterHours: z.number(),
});

/** PUT: an absent `email.password` keeps the stored one, null removes it; an absent field stays as it is. */
export const notificationSettingsInputSchema = z.object({
  webhookUrl: webhookUrlSchema.nullable().optional(),
  email: z
    .object({ ...emailFields, username: emailFields.username.optional(), password: z.string().max(1024).nullable().optional() })
    .nullable()
    .optional(),
  events: eventsSchema.optional(),
  staleAfterHours: z.number().int().min(1, 'Use 1 to 8760 hours').max(8760, 'Use 1 to 8760 hours').optional(),
});

const channelOutcome = z.object({ ok: z.boolean(), error: z.string().optional() }).nullable().describe('null: this channel is not configured');

/** How "Send a test" went on each channel. */
export const notificationTestResultSchema = z.object({ webhook: channelOutcome, email: channelOutcome });
