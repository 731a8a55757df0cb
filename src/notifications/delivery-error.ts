/** A message that did not reach a channel, said for a person: what happened and what to check. Never holds a secret. */
export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A connection that failed below HTTP or SMTP, in words; `target` is an origin or host:port, never a full URL. */
export function describeConnectionError(error: unknown, target: string, timeoutMs: number): string {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return `Connection refused by ${target} — check the address and port, and that the service is running`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `The name in ${target} was not found — check the address`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || isTimeout(error)) {
    return `${target} did not answer within ${Math.round(timeoutMs / 1000)} seconds — check the address and your firewall`;
  }
  if (code !== undefined && CERTIFICATE_CODES.has(code)) return `The certificate of ${target} is not trusted (${code}) — use its public name, or a certificate a browser would accept`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `${target} closed the connection — check the port and whether it expects TLS`;
  return `Could not reach ${target} (${code ?? 'no error code'}) — check the address and port`;
}

/** The system error code of an error or of what caused it (fetch wraps it in `cause`). */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ECONNECTION' && code !== 'ESOCKET') return code;
    current = (current as { cause?: unknown }).cause;
  }
  const text = error instanceof Error ? error.message : '';
  return /\b(E[A-Z]{4,})\b/.exec(text)?.[1];
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  return name === 'TimeoutError' || name === 'AbortError';
}
