import { type FormEvent, useState } from 'react';
import { settingsApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { NotificationEvent, NotificationSettings, NotificationTestResult } from '../api/types';
import { asApiError } from '../lib/hooks';
import { formLevelError, rules, validate } from '../lib/validation';
import { Button } from './Button';
import { CheckboxField, SelectField, Switch, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { useFormSubmit } from './useFormSubmit';

const EVENTS: { event: NotificationEvent; label: string; description: string }[] = [
  { event: 'failure', label: 'A sync failed', description: 'Once its automatic retries are used up; not again while it fails for the same reason.' },
  { event: 'held', label: 'A sync is held', description: 'A guard stopped it before deleting most of a backup; it waits for your confirmation.' },
  { event: 'stale', label: 'A share has not synced for a while', description: 'No successful sync of a share to a peer for the hours below.' },
  { event: 'recovered', label: 'A problem is over', description: 'The first successful sync after one of the messages above.' },
];

const FIELDS = ['webhookUrl', 'email.host', 'email.port', 'email.username', 'email.password', 'email.from', 'email.to', 'events', 'staleAfterHours'];

/** Where notifications go (a webhook, email), which events send one, and "Send a test". */
export function NotificationsForm({ initial }: { initial: NotificationSettings }) {
  const [saved, setSaved] = useState(initial);
  const [webhookUrl, setWebhookUrl] = useState(initial.webhookUrl ?? '');
  const [emailOn, setEmailOn] = useState(initial.email !== null);
  const [host, setHost] = useState(initial.email?.host ?? '');
  const [port, setPort] = useState(String(initial.email?.port ?? 587));
  const [secure, setSecure] = useState(initial.email?.secure ?? false);
  const [username, setUsername] = useState(initial.email?.username ?? '');
  const [password, setPassword] = useState('');
  const [from, setFrom] = useState(initial.email?.from ?? '');
  const [to, setTo] = useState(initial.email?.to ?? '');
  const [events, setEvents] = useState(new Set(initial.events));
  const [staleAfterHours, setStaleAfterHours] = useState(String(initial.staleAfterHours));
  const [savedNotice, setSavedNotice] = useState(false);
  const [testResult, setTestResult] = useState<NotificationTestResult>();
  const [testError, setTestError] = useState<ApiError>();
  const [testing, setTesting] = useState(false);
  const { errors, apiError, busy, submit } = useFormSubmit();

  const save = (event: FormEvent) => {
    event.preventDefault();
    setSavedNotice(false);
    const hours = Number(staleAfterHours);
    const found = validate({
      webhookUrl: webhookUrl.trim() === '' || /^https?:\/\/\S+$/.test(webhookUrl.trim()) ? undefined : 'Give an http:// or https:// address',
      'email.host': emailOn ? rules.required(host) : undefined,
      'email.port': emailOn ? rules.port(port) : undefined,
      'email.from': emailOn ? rules.required(from) : undefined,
      'email.to': emailOn ? rules.required(to) : undefined,
      staleAfterHours: Number.isInteger(hours) && hours >= 1 && hours <= 8760 ? undefined : 'Use 1 to 8760 hours',
    });
    void submit(found, async () => {
      const next = await settingsApi.saveNotifications({
        webhookUrl: webhookUrl.trim() === '' ? null : webhookUrl.trim(),
        email: emailOn
          ? { host: host.trim(), port: Number(port), secure, username: username.trim() === '' ? null : username.trim(), from: from.trim(), to: to.trim(), ...(password ? { password } : {}) }
          : null,
        events: EVENTS.map((item) => item.event).filter((item) => events.has(item)),
        staleAfterHours: hours,
      });
      setSaved(next);
      setPassword('');
      setSavedNotice(true);
    });
  };

  const sendTest = async () => {
    setTesting(true);
    setTestResult(undefined);
    setTestError(undefined);
    try {
      setTestResult(await settingsApi.testNotifications());
    } catch (caught) {
      setTestError(asApiError(caught));
    } finally {
      setTesting(false);
    }
  };

  const toggle = (event: NotificationEvent, on: boolean) => {
    const next = new Set(events);
    if (on) next.add(event);
    else next.delete(event);
    setEvents(next);
  };

  return (
    <form onSubmit={save} noValidate className="space-y-5" aria-label="Notifications">
      <ErrorNotice error={formLevelError(apiError, FIELDS)} />
      <TextField
        label="Webhook URL"
        name="webhookUrl"
        type="url"
        value={webhookUrl}
        onChange={(event) => setWebhookUrl(event.target.value)}
        error={errors.webhookUrl}
        placeholder="https://ntfy.example.com/my-topic?tpl=1&t={{.title}}&m={{.message}}"
        help="Each message is POSTed there as JSON (ntfy, Gotify, healthchecks.io: see docs/notifications.md). Leave empty for none."
      />
      <Switch label="Send email" description="Over SMTP, as plain text." checked={emailOn} onChange={setEmailOn} />
      {emailOn && (
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="SMTP server" name="email.host" value={host} onChange={(event) => setHost(event.target.value)} error={errors['email.host']} placeholder="smtp.example.com" />
          <div className="grid grid-cols-2 gap-4">
            <TextField label="SMTP port" name="email.port" inputMode="numeric" value={port} onChange={(event) => setPort(event.target.value)} error={errors['email.port']} />
            <SelectField label="Encryption" name="email.secure" value={secure ? 'tls' : 'starttls'} onChange={(event) => setSecure(event.target.value === 'tls')}>
              <option value="starttls">STARTTLS (587, 25)</option>
              <option value="tls">TLS (465)</option>
            </SelectField>
          </div>
          <TextField label="SMTP username" name="email.username" value={username} onChange={(event) => setUsername(event.target.value)} error={errors['email.username']} help="Leave empty if the server needs none." autoComplete="off" />
          <TextField
            label={saved.email?.passwordSet ? 'New SMTP password' : 'SMTP password'}
            name="email.password"
            type="password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            error={errors['email.password']}
            help={saved.email?.passwordSet ? 'A password is set. Leave empty to keep it.' : undefined}
            autoComplete="new-password"
          />
          <TextField label="From" name="email.from" type="email" value={from} onChange={(event) => setFrom(event.target.value)} error={errors['email.from']} placeholder="anemone@example.com" />
          <TextField label="To" name="email.to" value={to} onChange={(event) => setTo(event.target.value)} error={errors['email.to']} help="Several addresses: separate them with commas." />
        </div>
      )}
      <fieldset className="space-y-3">
        <legend className="mb-2 text-sm font-medium text-slate-800">Send a message when</legend>
        {EVENTS.map((item) => (
          <CheckboxField key={item.event} label={item.label} description={item.description} checked={events.has(item.event)} onChange={(event) => toggle(item.event, event.target.checked)} />
        ))}
      </fieldset>
      <TextField
        label="Hours without a successful sync"
        name="staleAfterHours"
        inputMode="numeric"
        value={staleAfterHours}
        onChange={(event) => setStaleAfterHours(event.target.value)}
        error={errors.staleAfterHours}
        help="For “has not synced for a while”: 1 to 8760."
        className="max-w-32"
      />
      {savedNotice && <Notice tone="success">Saved.</Notice>}
      <ErrorNotice error={testError} />
      {testResult && <TestOutcome result={testResult} />}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={busy}>
          Save
        </Button>
        <Button variant="secondary" busy={testing} onClick={() => void sendTest()}>
          Send a test
        </Button>
      </div>
      <p className="text-xs text-slate-600">Send a test uses the saved settings: save your changes first.</p>
    </form>
  );
}

/** What "Send a test" found, channel by channel. */
function TestOutcome({ result }: { result: NotificationTestResult }) {
  type Outcome = { ok: boolean; error?: string };
  const lines: [string, Outcome][] = [];
  if (result.webhook) lines.push(['Webhook', result.webhook]);
  if (result.email) lines.push(['Email', result.email]);
  const allOk = lines.every(([, outcome]) => outcome.ok);
  return (
    <Notice tone={allOk ? 'success' : 'warning'} title={allOk ? 'Test message sent' : 'The test message did not get through everywhere'}>
      <ul className="space-y-1" data-testid="notification-test-result">
        {lines.map(([name, outcome]) => (
          <li key={name}>
            {name}: {outcome.ok ? 'delivered.' : outcome.error}
          </li>
        ))}
      </ul>
    </Notice>
  );
}
