import type { SettingsRepo } from '../db/index.js';
import { NOTIFICATION_EVENTS, type NotificationEvent } from './events.js';

export interface EmailSettings {
  host: string;
  port: number;
  /** true: implicit TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
  secure: boolean;
  username: string | null;
  password: string | null;
  from: string;
  /** One address or several, separated by commas. */
  to: string;
}

export interface NotificationSettings {
  webhookUrl: string | null;
  email: EmailSettings | null;
  events: NotificationEvent[];
  staleAfterHours: number;
}

/** What the API shows: the SMTP password is write-only. */
export interface NotificationSettingsView extends Omit<NotificationSettings, 'email'> {
  email: (Omit<EmailSettings, 'password'> & { passwordSet: boolean }) | null;
}

/** `email.password` absent keeps the stored one, `null` removes it; `email: null` removes email. */
export interface NotificationSettingsUpdate {
  webhookUrl?: string | null | undefined;
  email?: (Omit<EmailSettings, 'password' | 'username'> & { username?: string | null | undefined; password?: string | null | undefined }) | null | undefined;
  events?: NotificationEvent[] | undefined;
  staleAfterHours?: number | undefined;
}

export const DEFAULT_STALE_AFTER_HOURS = 48;

const DEFAULTS: NotificationSettings = { webhookUrl: null, email: null, events: [...NOTIFICATION_EVENTS], staleAfterHours: DEFAULT_STALE_AFTER_HOURS };

const KEY = 'notifications';

/** The notification settings, one JSON value in the server settings. */
export class NotificationSettingsStore {
  constructor(private readonly settings: Pick<SettingsRepo, 'get' | 'set'>) {}

  get(): NotificationSettings {
    const text = this.settings.get(KEY);
    return text === undefined ? { ...DEFAULTS, events: [...DEFAULTS.events] } : { ...DEFAULTS, ...(JSON.parse(text) as Partial<NotificationSettings>) };
  }

  view(): NotificationSettingsView {
    return toView(this.get());
  }

  update(input: NotificationSettingsUpdate): NotificationSettingsView {
    const current = this.get();
    const next: NotificationSettings = {
      webhookUrl: input.webhookUrl === undefined ? current.webhookUrl : input.webhookUrl,
      email: input.email === undefined ? current.email : input.email === null ? null : withPassword(input.email, current.email),
      events: input.events === undefined ? current.events : [...new Set(input.events)],
      staleAfterHours: input.staleAfterHours ?? current.staleAfterHours,
    };
    this.settings.set(KEY, JSON.stringify(next));
    return toView(next);
  }

  /** True when the administrator chose to be told about `event` and a channel is set to tell them. */
  wants(event: NotificationEvent): boolean {
    const settings = this.get();
    return settings.events.includes(event) && (settings.webhookUrl !== null || settings.email !== null);
  }
}

function withPassword(email: NonNullable<NotificationSettingsUpdate['email']>, current: EmailSettings | null): EmailSettings {
  const { password, username, ...fields } = email;
  // an empty username means "no authentication", as its absence does
  return { ...fields, username: username || null, password: password === undefined ? (current?.password ?? null) : password };
}

function toView(settings: NotificationSettings): NotificationSettingsView {
  if (!settings.email) return { ...settings, email: null };
  const { password, ...email } = settings.email;
  return { ...settings, email: { ...email, passwordSet: password !== null && password !== '' } };
}
