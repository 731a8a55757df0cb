import { PeerError, type PeerErrorKind, type PeerErrorContext } from './peer-error.js';

/** What the client knows about the peer when something fails. */
export type MappingContext = Pick<PeerErrorContext, 'address' | 'port' | 'timeoutMs' | 'ownFingerprint'>;

const NETWORK_CODES: Record<string, PeerErrorKind> = {
  ECONNREFUSED: 'connection-refused',
  // unreachable hosts get the same advice as a refusal: address, port, firewall
  EHOSTUNREACH: 'connection-refused',
  ENETUNREACH: 'connection-refused',
  EHOSTDOWN: 'connection-refused',
  EADDRNOTAVAIL: 'connection-refused',
  ENOTFOUND: 'name-not-found',
  EAI_AGAIN: 'name-not-found',
  EAI_NONAME: 'name-not-found',
  EAI_NODATA: 'name-not-found',
  EAI_FAIL: 'name-not-found',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ECONNRESET: 'connection-lost',
  ECONNABORTED: 'connection-lost',
  EPIPE: 'connection-lost',
  UND_ERR_SOCKET: 'connection-lost',
  UND_ERR_CLOSED: 'connection-lost',
  UND_ERR_ABORTED: 'aborted',
  ABORT_ERR: 'aborted',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'protocol-error',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol-error',
  HPE_INVALID_CONSTANT: 'protocol-error',
};

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  reason?: unknown;
  library?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * The error itself, then what it wraps: undici and fetch wrap socket errors
 * in `cause`, and a connection tried over IPv4 and IPv6 fails with an
 * AggregateError whose `errors` hold the real reasons.
 */
function* causeChain(error: unknown, depth = 0): Generator<ErrorLike> {
  if (depth > 6 || typeof error !== 'object' || error === null) return;
  const candidate = error as ErrorLike;
  yield candidate;
  if (Array.isArray(candidate.errors)) {
    for (const inner of candidate.errors) yield* causeChain(inner, depth + 1);
  }
  yield* causeChain(candidate.cause, depth + 1);
}

function isTlsFailure(candidate: ErrorLike): boolean {
  const code = typeof candidate.code === 'string' ? candidate.code : '';
  return code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_OSSL_') || candidate.library === 'SSL routines';
}

/** A failure that happened before or instead of an HTTP answer, as a PeerError. */
export function peerErrorFrom(error: unknown, context: MappingContext): PeerError {
  for (const candidate of causeChain(error)) {
    if (candidate instanceof PeerError) return candidate;
    if (candidate.name === 'AbortError') return new PeerError('aborted', context, { cause: error });
    if (isTlsFailure(candidate)) {
      const detail = String(candidate.reason ?? candidate.message ?? 'handshake failed');
      return new PeerError('tls-error', { ...context, detail }, { cause: error });
    }
    const code = typeof candidate.code === 'string' ? NETWORK_CODES[candidate.code] : undefined;
    if (code) {
      const detail = code === 'protocol-error' || code === 'connection-lost' ? String(candidate.message ?? '') || undefined : undefined;
      return new PeerError(code, { ...context, ...(detail ? { detail } : {}) }, { cause: error });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PeerError('protocol-error', { ...context, detail: message }, { cause: error });
}

/** A non-success HTTP answer from the peer. */
export interface PeerAnswer {
  status: number;
  retryAfter?: string | string[] | undefined;
  /** The parsed `{error:{code,message,hint}}` body, when the peer sent one. */
  error?: { code?: string | undefined; message?: string | undefined } | undefined;
}

const MAX_PEER_TEXT = 300;

function peerText(text: string | undefined): string | undefined {
  if (!text) return undefined;
  return text.length > MAX_PEER_TEXT ? `${text.slice(0, MAX_PEER_TEXT)}…` : text;
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Maps the peer's status and error code to what the person reads. */
export function peerErrorFromAnswer(answer: PeerAnswer, context: MappingContext): PeerError {
  const peerCode = answer.error?.code;
  const message = peerText(answer.error?.message);
  const base: PeerErrorContext = { ...context, status: answer.status, ...(peerCode ? { peerCode } : {}) };
  const answered = `the peer answered ${answer.status}${message ? ` (${message})` : ''}`;
  switch (answer.status) {
    case 401:
      return new PeerError(peerCode === 'SESSION_INVALID' ? 'session-expired' : 'unauthorized', base);
    case 403:
      if (peerCode === 'SOURCE_CERT_MISMATCH') return new PeerError('source-cert-mismatch', base);
      return new PeerError('forbidden', peerCode === 'PEER_FORBIDDEN' || !message ? base : { ...base, detail: message });
    case 404:
      return new PeerError('not-found', message ? { ...base, detail: message } : base);
    case 413:
      return new PeerError('payload-too-large', message ? { ...base, detail: message } : base);
    case 429: {
      const retryAfterSeconds = parseRetryAfter(answer.retryAfter);
      return new PeerError('rate-limited', retryAfterSeconds === undefined ? base : { ...base, retryAfterSeconds });
    }
    case 507:
      return new PeerError('insufficient-storage', message && peerCode === 'SOURCE_QUOTA_EXCEEDED' ? { ...base, detail: message } : base);
  }
  if (answer.status === 503 && peerCode === 'INCOMING_STORAGE_UNAVAILABLE') return new PeerError('storage-unavailable', base);
  if (answer.status === 409 && peerCode === 'BACKUP_RESET_ON_PEER') return new PeerError('backup-reset', base);
  if (peerCode === 'HASH_MISMATCH') return new PeerError('hash-mismatch', base);
  if (peerCode === 'PATH_INVALID') return new PeerError('path-invalid', message ? { ...base, detail: message } : base);
  return new PeerError('protocol-error', { ...base, detail: answered });
}
