import { isIP } from 'node:net';
import { z } from 'zod';
import { normaliseFingerprint } from '../peer-client/fingerprint.js';

/**
 * The fields of a peer as an administrator types them, validated once at
 * the edge (API, and later the CLI and the recovery kit) and normalised so
 * the rest of the code sees one form.
 */

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/** A host name or an IP address — no scheme, port, path or user; `[::1]` is taken as `::1`. */
export function normalisePeerAddress(text: string): string | null {
  const trimmed = text.trim();
  const unbracketed = /^\[(.*)\]$/.exec(trimmed)?.[1] ?? trimmed;
  if (isIP(unbracketed) !== 0) return unbracketed;
  return HOSTNAME.test(trimmed) ? trimmed : null;
}

export const peerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'Use 1–64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit');

export const peerAddressSchema = z.string().transform((text, context) => {
  const address = normalisePeerAddress(text);
  if (address === null) {
    context.addIssue({ code: 'custom', message: 'Give a host name or an IP address only, without https://, a port or a path' });
    return z.NEVER;
  }
  return address;
});

export const peerPortSchema = z.number().int().min(1, 'Use a port from 1 to 65535').max(65535, 'Use a port from 1 to 65535');

export const peerTimeoutMinutesSchema = z
  .number()
  .int()
  .min(1, 'Use 1 to 1440 minutes')
  .max(1440, 'Use 1 to 1440 minutes');

export const peerPasswordSchema = z.string().min(1, 'Leave the password out rather than empty').max(1024, 'Use at most 1024 characters');

/** A SHA-256 certificate fingerprint, accepted with or without colons, in any case; kept as `AB:CD:…`. */
export const fingerprintSchema = z.string().transform((text, context) => {
  const fingerprint = normaliseFingerprint(text);
  if (fingerprint === null) {
    context.addIssue({ code: 'custom', message: 'Give the SHA-256 fingerprint: 32 bytes as hex, like AB:CD:…' });
    return z.NEVER;
  }
  return fingerprint;
});

export const DEFAULT_PEER_PORT = 8443;
export const DEFAULT_PEER_TIMEOUT_MINUTES = 30;
