import { type ErrorCode, errorCatalogue } from '../errors/catalogue.js';

/**
 * What can go wrong talking to a peer, each with the words a person reads
 * (PRODUCT.md §9: what happened — what to do). The sync engine stores
 * `code`, `message` and `hint` in its log; Test Connection shows them.
 *
 * A kind (`connection-refused`) is the client's own discriminant and never
 * reaches a person or a log: everything outside sees `code`, its error
 * catalogue code (`PEER_CONNECTION_REFUSED`), mapped once here.
 */
export const peerErrorKinds = [
  'connection-refused',
  'timeout',
  'name-not-found',
  'unauthorized',
  'forbidden',
  'source-cert-mismatch',
  'certificate-changed',
  'rate-limited',
  'payload-too-large',
  'insufficient-storage',
  'storage-unavailable',
  'tls-error',
  'protocol-error',
  'not-found',
  'hash-mismatch',
  'path-invalid',
  'session-expired',
  'connection-lost',
  'aborted',
  'not-pinned',
  'backup-reset',
] as const;

export type PeerErrorKind = (typeof peerErrorKinds)[number];

/** The catalogue code of each kind: what logs, API answers and the troubleshooting guide name. */
export const peerErrorCodeOf: Readonly<Record<PeerErrorKind, ErrorCode>> = {
  'connection-refused': 'PEER_CONNECTION_REFUSED',
  timeout: 'PEER_TIMEOUT',
  'name-not-found': 'PEER_NAME_NOT_FOUND',
  unauthorized: 'PEER_UNAUTHORIZED',
  forbidden: 'PEER_FORBIDDEN',
  'source-cert-mismatch': 'SOURCE_CERT_MISMATCH',
  'certificate-changed': 'PEER_CERTIFICATE_CHANGED',
  'rate-limited': 'PEER_RATE_LIMITED',
  'payload-too-large': 'PAYLOAD_TOO_LARGE',
  'insufficient-storage': 'INSUFFICIENT_STORAGE',
  'storage-unavailable': 'PEER_STORAGE_UNAVAILABLE',
  'tls-error': 'PEER_TLS_ERROR',
  'protocol-error': 'PEER_PROTOCOL_ERROR',
  'not-found': 'PEER_NOT_FOUND',
  'hash-mismatch': 'HASH_MISMATCH',
  'path-invalid': 'PATH_INVALID',
  'session-expired': 'SESSION_INVALID',
  'connection-lost': 'PEER_CONNECTION_LOST',
  aborted: 'PEER_REQUEST_ABORTED',
  'not-pinned': 'PEER_NOT_PINNED',
  'backup-reset': 'BACKUP_RESET_ON_PEER',
};

/** Facts the words are built from; every field is optional so a message never fails to build. */
export interface PeerErrorContext {
  address?: string;
  port?: number;
  timeoutMs?: number;
  /** The fingerprint the peer actually presented. */
  seenFingerprint?: string;
  /** The fingerprint pinned in the peer settings. */
  expectedFingerprint?: string;
  /** This server's own fingerprint, for the peer's administrator to compare. */
  ownFingerprint?: string;
  retryAfterSeconds?: number;
  /** HTTP status of the peer's answer, when there was one. */
  status?: number;
  /** The peer's own error code (`{error:{code}}`), when it sent one. */
  peerCode?: string;
  /** Extra words: the peer's message, or the low-level reason. */
  detail?: string;
  peerName?: string;
}

export class PeerError extends Error {
  readonly kind: PeerErrorKind;
  /** The catalogue code, in the one vocabulary of logs and API answers. */
  readonly code: ErrorCode;
  readonly hint: string;
  readonly status: number | undefined;
  readonly peerCode: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly seenFingerprint: string | undefined;
  readonly expectedFingerprint: string | undefined;

  constructor(kind: PeerErrorKind, context: PeerErrorContext = {}, options: { cause?: unknown } = {}) {
    const { message, hint } = describePeerError(kind, context);
    super(message, { cause: options.cause });
    this.name = 'PeerError';
    this.kind = kind;
    this.code = peerErrorCodeOf[kind];
    this.hint = hint;
    this.status = context.status;
    this.peerCode = context.peerCode;
    this.retryAfterSeconds = context.retryAfterSeconds;
    this.seenFingerprint = context.seenFingerprint;
    this.expectedFingerprint = context.expectedFingerprint;
  }
}

export function isPeerError(error: unknown): error is PeerError {
  return error instanceof PeerError;
}

function where(context: PeerErrorContext): string {
  if (!context.address) return 'the peer';
  const host = context.address.includes(':') ? `[${context.address}]` : context.address;
  return context.port ? `${host}:${context.port}` : host;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return 'the time allowed';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} seconds`;
  return `${Math.round(ms / 60_000)} minutes`;
}

function withDetail(text: string, detail: string | undefined): string {
  return detail ? `${text}: ${detail}` : text;
}

/** The message and hint of each kind, in the terms of docs/troubleshooting.md. */
export function describePeerError(kind: PeerErrorKind, context: PeerErrorContext): { message: string; hint: string } {
  const port = context.port ?? 8443;
  const peer = where(context);
  switch (kind) {
    case 'connection-refused':
      return {
        message: `Connection refused — check the peer is reachable, its port (${port}) and firewall`,
        hint: withDetail(
          `Nothing accepted a connection at ${peer}. Check that Anemone runs on the peer, that the address and port in the peer settings are right, and that no firewall blocks port ${port}`,
          context.detail,
        ),
      };
    case 'timeout':
      return {
        message: `Timed out — the peer did not answer within ${duration(context.timeoutMs)}`,
        hint: `Check that ${peer} is the peer's address and port, that the peer is running and that no firewall silently drops the connection. A slow link may need a longer timeout in the peer settings.`,
      };
    case 'name-not-found':
      return {
        message: `Name not found — "${context.address ?? 'the peer address'}" does not resolve to an address`,
        hint: "Check the spelling of the peer's address, or use its IP address; check this server's DNS settings.",
      };
    case 'unauthorized':
      return {
        message: '401 Unauthorized — the peer password is wrong; update it in the peer settings',
        hint: "Enter the server password set on the peer (its Settings → Sync). A peer that has a password also refuses a missing one.",
      };
    case 'forbidden':
      return {
        message: '403 Forbidden — the peer is not accepting syncs; check its settings',
        hint: withDetail(`The administrator of ${peer} must switch on "accept incoming syncs" in its settings`, context.detail),
      };
    case 'source-cert-mismatch':
      return {
        message: "403 Forbidden — the peer knows this server's name with another certificate",
        hint: `The peer bound this server's name to an earlier certificate. Its administrator must accept this server's certificate in Incoming Backups after comparing fingerprints${context.ownFingerprint ? ` (this server's is ${context.ownFingerprint})` : ''}.`,
      };
    case 'certificate-changed':
      return {
        message: `Certificate changed — ${peer} presented a certificate that is not the pinned one; it could be an impostor`,
        hint: `Nothing was sent to it. Compare the fingerprint it presented (${context.seenFingerprint ?? 'none'}) with the one the peer's administrator sees on its Settings page; only if they match, pin the new fingerprint in the peer settings.`,
      };
    case 'rate-limited':
      return {
        message: '429 Too Many Requests — the peer is refusing attempts from this server for now',
        hint: `Wait ${context.retryAfterSeconds !== undefined ? `${context.retryAfterSeconds} seconds` : 'a minute'} and try again; repeated refusals usually mean the peer password is wrong.`,
      };
    case 'payload-too-large':
      return {
        message: '413 Payload Too Large — the peer refused an upload as too large',
        hint: withDetail("Ask the peer's administrator to raise its upload limit", context.detail),
      };
    case 'insufficient-storage':
      // a quota the peer's administrator set: its message names it ("server-a may store 10 GB here; …")
      if (context.peerCode === 'SOURCE_QUOTA_EXCEEDED' && context.detail) {
        return { message: `507 Insufficient Storage — ${context.detail}`, hint: "Ask the peer's administrator to raise the quota or shorten its retention; what the peer already holds is intact." };
      }
      return {
        message: "507 Insufficient Storage — the peer's disk is full",
        hint: "Ask the peer's administrator to free space; what the peer already holds is intact.",
      };
    case 'storage-unavailable':
      // the catalogue's words alone: the storage's own answer stays in the peer's log (its address and wording are the peer's business)
      return { message: errorCatalogue.PEER_STORAGE_UNAVAILABLE.message, hint: errorCatalogue.PEER_STORAGE_UNAVAILABLE.hint };
    case 'tls-error':
      return {
        message: withDetail('The secure connection to the peer failed', context.detail),
        hint: `Check that ${peer} is an Anemone server speaking HTTPS (not plain HTTP or another service).`,
      };
    case 'protocol-error':
      return {
        message: withDetail('Unexpected answer from the peer', context.detail),
        hint: `Check that ${peer} is an Anemone server and that both servers run a recent version; the peer's log may say more.`,
      };
    case 'not-found':
      return {
        message: withDetail('404 Not Found — the peer holds no such file', context.detail),
        hint: 'The backup on the peer may be incomplete; run a sync, then try again.',
      };
    case 'backup-reset':
      return {
        message: "The peer's administrator deleted this share's backups during the sync; it will be sent again in full",
        hint: 'Nothing to do: the sync starts the share again from scratch (or the next sync does).',
      };
    case 'hash-mismatch':
      return {
        message: 'The file arrived damaged at the peer: its SHA-256 does not match',
        hint: 'Retry the sync; if it keeps happening, check the network between the servers.',
      };
    case 'path-invalid':
      return {
        message: withDetail('The peer refused a file path', context.detail),
        hint: 'This is a bug in one of the two servers; update both and report it with the path.',
      };
    case 'session-expired':
      return {
        message: 'The sync session with the peer expired during an upload',
        hint: 'Retry the sync; it opens a new session by itself.',
      };
    case 'connection-lost':
      return {
        message: withDetail('Connection lost — the peer closed the connection during a request', context.detail),
        hint: "Retry; if it keeps happening, check the network between the servers and the peer's log.",
      };
    case 'aborted':
      return { message: 'The request to the peer was cancelled', hint: 'Start it again when needed.' };
    case 'not-pinned':
      return {
        message: `${context.peerName ? `Peer "${context.peerName}" has` : 'The peer has'} no confirmed certificate fingerprint`,
        hint: "Confirm the peer's fingerprint with Test Connection first, then save it in the peer settings.",
      };
  }
}
