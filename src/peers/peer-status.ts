/**
 * The status a peer shows on the Peers page and the dashboard (PRODUCT.md §8),
 * from the last contact — a Test Connection or a sync.
 */
export type PeerStatus =
  | 'online'
  /** Reachable and authorised, but its fingerprint is not confirmed yet: no sync runs. */
  | 'unconfirmed'
  | 'offline'
  | 'unauthorized'
  | 'forbidden'
  | 'certificate-changed'
  /** The peer answered, but with an error (disk full, an unexpected answer…); the message says which. */
  | 'error';

const STATUS_OF: Record<string, PeerStatus> = {
  'connection-refused': 'offline',
  timeout: 'offline',
  'name-not-found': 'offline',
  'tls-error': 'offline',
  'connection-lost': 'offline',
  unauthorized: 'unauthorized',
  'rate-limited': 'unauthorized',
  forbidden: 'forbidden',
  'source-cert-mismatch': 'forbidden',
  'certificate-changed': 'certificate-changed',
  'not-pinned': 'unconfirmed',
  // a session that expired mid-upload says nothing bad about the peer
  'session-expired': 'online',
};

/** Codes that mean the peer itself answered, so it was in contact. */
const ANSWERED = new Set([
  'unauthorized',
  'rate-limited',
  'forbidden',
  'source-cert-mismatch',
  'session-expired',
  'payload-too-large',
  'insufficient-storage',
  'hash-mismatch',
  'path-invalid',
  'not-found',
]);

/** `code` is a PeerError code (or another error code a sync recorded); unknown codes are an `error` without contact. */
export function statusForFailure(code: string | undefined): { status: PeerStatus; answered: boolean } {
  return { status: (code && STATUS_OF[code]) || 'error', answered: code !== undefined && ANSWERED.has(code) };
}
