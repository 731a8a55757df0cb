import type { NotificationEvent, SyncEvent } from './events.js';

/**
 * One message as both channels send it: the webhook posts it as JSON (the
 * fields Gotify and ntfy read are `title`, `message` and `priority`), email
 * makes its subject and plain-text body from it.
 */
export interface NotificationMessage {
  event: NotificationEvent | 'test';
  title: string;
  /** Sentences a person reads: what happened and what to do. */
  message: string;
  /** 1 (low) to 5 (urgent), ntfy's scale; Gotify reads it as a low to normal priority. */
  priority: number;
  server: string;
  /** Null when the message is about several shares (then `details.shares` lists them), or none. */
  user: string | null;
  share: string | null;
  peer: string | null;
  at: string;
  details: {
    code?: string;
    hint?: string;
    attempts?: number;
    lastSuccessAt?: string | null;
    staleAfterHours?: number;
    recoveredFrom?: string;
    /** Every share the message is about; a stale message gives each one's last successful sync (null: never). */
    shares: { user: string; share: string; lastSuccessAt?: string | null }[];
  };
}

/** How many shares a grouped message's title names. */
const TITLE_SHARES = 5;

const PRIORITY: Record<NotificationEvent | 'test', number> = { failure: 5, held: 5, stale: 4, recovered: 3, test: 3 };

/**
 * Words one message for events of the same kind, peer and cause (a Force
 * Sync that failed for every share at once): the first event speaks for the
 * group, the shares are listed.
 */
export function messageFor(events: readonly SyncEvent[], server: string): NotificationMessage {
  const first = events[0];
  if (!first) throw new Error('messageFor needs at least one event');
  const shares = events.map(({ user, share, lastSuccessAt }) => (lastSuccessAt === undefined ? { user, share } : { user, share, lastSuccessAt }));
  const single = events.length === 1;
  // a title stays a title: the first few shares are named, details.shares has them all
  const named = shares.slice(0, TITLE_SHARES).map((s) => `${s.user}/${s.share}`);
  const what = single ? `${first.user}/${first.share}` : `${events.length} shares (${named.join(', ')}${shares.length > TITLE_SHARES ? ', …' : ''})`;
  const backup = `${single ? 'Backup' : 'Backups'} of ${what} to ${first.peer}`;
  const { title, message } = wording(events, first, what, backup);
  const details: NotificationMessage['details'] = { shares };
  if (first.code !== undefined) details.code = first.code;
  if (first.hint !== undefined) details.hint = first.hint;
  if (first.attempts !== undefined) details.attempts = first.attempts;
  if (first.lastSuccessAt !== undefined) details.lastSuccessAt = first.lastSuccessAt;
  if (first.staleAfterHours !== undefined) details.staleAfterHours = first.staleAfterHours;
  if (first.recoveredFrom !== undefined) details.recoveredFrom = first.recoveredFrom;
  return {
    event: first.event,
    title,
    message,
    priority: PRIORITY[first.event],
    server,
    user: single ? first.user : null,
    share: single ? first.share : null,
    peer: first.peer,
    at: first.at,
    details,
  };
}

function wording(events: readonly SyncEvent[], event: SyncEvent, what: string, backup: string): { title: string; message: string } {
  // the run's own error and hint (from the catalogue): what happened, then what to do
  const errorAndHint = [event.error, event.hint].filter((text): text is string => Boolean(text)).map(asSentence).join(' ');
  switch (event.event) {
    case 'failure': {
      const tries = event.attempts !== undefined && event.attempts > 1 ? ` It failed ${event.attempts} times in a row, automatic retries included.` : '';
      return { title: `${backup} failed`, message: `${errorAndHint}${tries}` };
    }
    case 'held':
      return { title: `${backup} is held until you confirm it`, message: errorAndHint };
    case 'stale': {
      const when = (lastSuccessAt: string | null | undefined) => (lastSuccessAt ? `the last successful sync was at ${lastSuccessAt}` : 'no sync has succeeded yet');
      const last = events.length === 1 ? `${capitalised(when(event.lastSuccessAt))}.` : `${events.map((one) => `${one.user}/${one.share}: ${when(one.lastSuccessAt)}`).join('; ')}.`;
      return {
        title: `No successful backup of ${what} to ${event.peer} for ${event.staleAfterHours ?? '?'} hours`,
        message: `${last} Look at the sync logs for why (a peer offline, automatic sync switched off, a run that keeps failing).`,
      };
    }
    case 'recovered':
      return { title: `${backup} works again`, message: `A sync succeeded at ${event.at}, after ${recoveredWords(event.recoveredFrom)}. Nothing to do.` };
  }
}

function asSentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

function capitalised(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

function recoveredWords(from: SyncEvent['recoveredFrom']): string {
  if (from === 'held') return 'a run held for confirmation';
  if (from === 'stale') return 'a time without a successful sync';
  return 'failed runs';
}

/** The message "Send a test" sends through every configured channel. */
export function testMessage(server: string, at: string): NotificationMessage {
  return {
    event: 'test',
    title: `Test message from Anemone on ${server}`,
    message: `Notifications of ${server} reach you here. Nothing to do.`,
    priority: PRIORITY.test,
    server,
    user: null,
    share: null,
    peer: null,
    at,
    details: { shares: [] },
  };
}
