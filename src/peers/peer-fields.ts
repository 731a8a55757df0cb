import { isIP } from 'node:net';
import { z } from 'zod';
import { normaliseFingerprint } from '../peer-client/fingerprint.js';

// the fields a form can check as typed are part of the API contract; the address and fingerprint are normalised here
export {
  DEFAULT_PEER_PORT,
  DEFAULT_PEER_TIMEOUT_MINUTES,
  peerNameSchema,
  peerPasswordSchema,
  peerPortSchema,
  peerTimeoutMinutesSchema,
} from '../contract/peers.js';

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

export const peerAddressSchema = z.string().transform((text, context) => {
  const address = normalisePeerAddress(text);
  if (address === null) {
    context.addIssue({ code: 'custom', message: 'Give a host name or an IP address only, without https://, a port or a path' });
    return z.NEVER;
  }
  return address;
});

/** A SHA-256 certificate fingerprint, accepted with or without colons, in any case; kept as `AB:CD:…`. */
export const fingerprintSchema = z.string().transform((text, context) => {
  const fingerprint = normaliseFingerprint(text);
  if (fingerprint === null) {
    context.addIssue({ code: 'custom', message: 'Give the SHA-256 fingerprint: 32 bytes as hex, like AB:CD:…' });
    return z.NEVER;
  }
  return fingerprint;
});
