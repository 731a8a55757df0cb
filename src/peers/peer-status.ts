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
  PEER_CONNECTION_REFUSED: 'offline',
  PEER_TIMEOUT: 'offline',
  PEER_NAME_NOT_FOUND: 'offline',
  PEER_TLS_ERROR: 'offline',
  PEER_CONNECTION_LOST: 'offline',
  PEER_UNAUTHORIZED: 'unauthorized',
  PEER_RATE_LIMITED: 'unauthorized',
  PEER_FORBIDDEN: 'forbidden',
  SOURCE_CERT_MISMATCH: 'forbidden',
  PEER_CERTIFICATE_CHANGED: 'certificate-changed',
  PEER_NOT_PINNED: 'unconfirmed',
  // a session that expired mid-upload says nothing bad about the peer
  SESSION_INVALID: 'online',
};

/** Codes that mean the peer itself answered, so it was in contact. */
const ANSWERED = new Set([
  'PEER_UNAUTHORIZED',
  'PEER_RATE_LIMITED',
  'PEER_FORBIDDEN',
  'SOURCE_CERT_MISMATCH',
  'SESSION_INVALID',
  'PAYLOAD_TOO_LARGE',
  'INSUFFICIENT_STORAGE',
  'PEER_STORAGE_UNAVAILABLE',
  'HASH_MISMATCH',
  'PATH_INVALID',
  'PEER_NOT_FOUND',
  'PEER_IS_THIS_SERVER',
]);

/** `code` is a catalogue code a sync or a Test Connection recorded (a peer client's, or another); unknown codes are an `error` without contact. */
export function statusForFailure(code: string | undefined): { status: PeerStatus; answered: boolean } {
  return { status: (code && STATUS_OF[code]) || 'error', answered: code !== undefined && ANSWERED.has(code) };
}
