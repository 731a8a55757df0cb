import type { ApiError } from '../api/http';

/**
 * The checks a form runs before it sends anything, with the API's own rules
 * and wording (src/accounts/names.ts, src/peers/peer-fields.ts); the API
 * checks again and its `fields` land next to the same inputs.
 */
export type FieldErrors = Partial<Record<string, string>>;

export const rules = {
  serverName: (value: string) =>
    /^[a-z0-9][a-z0-9_-]{0,62}$/.test(value) ? undefined : 'Use 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  username: (value: string) =>
    /^[a-z0-9][a-z0-9_-]{0,31}$/.test(value) ? undefined : 'Use 1–32 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  password: (value: string) => (value.length < 8 ? 'Use at least 8 characters' : value.length > 1024 ? 'Use at most 1024 characters' : undefined),
  /** Days of history a peer keeps, as the server checks them: a whole number, 0 to 3650. */
  keepVersionsDays: (value: string) => (!/^\d+$/.test(value.trim()) ? 'Give a whole number of days' : Number(value) > 3650 ? 'Use at most 3650 days (10 years)' : undefined),
  required: (value: string) => (value.trim() === '' ? 'Required' : undefined),
  apiTokenName: (value: string) =>
    value.trim() === '' ? 'Give the token a name (what uses it, "prometheus" say)' : value.trim().length > 64 ? 'Use at most 64 characters' : undefined,
  peerName: (value: string) =>
    /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(value) ? undefined : 'Use 1–64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit',
  peerAddress: (value: string) => {
    const text = value.trim().replace(/^\[(.*)\]$/, '$1');
    if (text === '') return 'Required';
    const ipv6 = text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text);
    const hostOrIpv4 = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(text);
    return ipv6 || hostOrIpv4 ? undefined : 'Give a host name or an IP address only, without https://, a port or a path';
  },
  port: (value: string) => {
    const port = Number(value);
    return Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : 'Use a port from 1 to 65535';
  },
  timeoutMinutes: (value: string) => {
    const minutes = Number(value);
    return Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440 ? undefined : 'Use 1 to 1440 minutes';
  },
  fingerprint: (value: string) =>
    /^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/.test(value.trim()) ? undefined : 'Give the SHA-256 fingerprint: 32 bytes as hex, like AB:CD:…',
  time: (value: string) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(value) ? undefined : 'Use HH:MM on a 24-hour clock, from 00:00 to 23:59'),
};

/** Runs each field's check; only the failing ones are in the answer. */
export function validate(checks: Record<string, string | undefined>): FieldErrors {
  return Object.fromEntries(Object.entries(checks).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}

/** The API's field messages, keyed by field path (`port`, `password`…). */
export function apiFieldErrors(error: ApiError | undefined): FieldErrors {
  if (!error) return {};
  return Object.fromEntries(error.fields.map((field) => [field.path, field.message]));
}

/** The error to show above a form: none when every problem already sits next to its field. */
export function formLevelError(error: ApiError | undefined, shownFields: string[]): ApiError | undefined {
  if (!error) return undefined;
  if (error.fields.length > 0 && error.fields.every((field) => shownFields.includes(field.path))) return undefined;
  return error;
}
