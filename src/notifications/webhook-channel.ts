import { loadOnFirstUse } from '../util/load-on-first-use.js';
import { DeliveryError, describeConnectionError } from './delivery-error.js';
import type { NotificationMessage } from './message.js';
import type { Channel } from './channel.js';

/**
 * POSTs the message as JSON to the administrator's URL. The URL may hold a
 * token (a Gotify `?token=`, an ntfy topic, a healthchecks.io UUID): only its
 * origin ever appears in an error or a log line.
 */
export function webhookChannel(url: string, timeoutMs: number): Channel {
  const target = new URL(url).origin;
  // undici's fetch (and with it Node's own copy of undici) loads with the first webhook sent, not at start
  const loadFetch = loadOnFirstUse('webhooks (the fetch of the undici package)', async () => (await import('undici')).fetch);
  return {
    name: 'webhook',
    target,
    async send(message: NotificationMessage, signal: AbortSignal) {
      const fetch = await loadFetch();
      let response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (error) {
        throw new DeliveryError(describeConnectionError(error, target, timeoutMs));
      }
      // the answer's body is not used: it is not read into memory either
      await response.body?.cancel().catch(() => undefined);
      if (!response.ok) throw new DeliveryError(describeStatus(response.status, response.statusText, target));
    },
  };
}

function describeStatus(status: number, statusText: string, target: string): string {
  const answered = `${target} answered ${status}${statusText ? ` ${statusText}` : ''}`;
  if (status === 401 || status === 403) return `${answered} — check the token or credentials in the webhook URL`;
  if (status === 404) return `${answered} — check the path of the webhook URL (the topic, the ping UUID)`;
  if (status >= 500) return `${answered} — the service had a problem; check that it runs`;
  return `${answered} — check the webhook URL`;
}
