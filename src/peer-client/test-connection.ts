import { peerErrorFrom } from './error-mapping.js';
import { discoverPeer } from './discover.js';
import { certificateFingerprint } from '../identity/identity.js';
import { errorCatalogue } from '../errors/catalogue.js';
import { normaliseFingerprint, sameFingerprint } from './fingerprint.js';
import { PeerClient } from './peer-client.js';
import type { PeerError } from './peer-error.js';
import type { ClientIdentity } from './pinned-agent.js';
import type { SessionSlot } from './session-slot.js';

/** The answers of Test Connection (PRODUCT.md §4): `OK`, or the catalogue code of what failed. */
export type TestOutcome =
  | 'OK'
  | 'PEER_CONNECTION_REFUSED'
  | 'PEER_TIMEOUT'
  | 'PEER_NAME_NOT_FOUND'
  | 'PEER_UNAUTHORIZED'
  | 'PEER_FORBIDDEN'
  | 'PEER_CERTIFICATE_CHANGED'
  | 'SOURCE_CERT_MISMATCH'
  | 'PEER_RATE_LIMITED'
  | 'PEER_TLS_ERROR'
  | 'PEER_PROTOCOL_ERROR'
  | 'PEER_IS_THIS_SERVER';

export interface TestConnectionInput {
  address: string;
  port: number;
  password?: string | undefined;
  /** Absent for a peer not yet confirmed: its certificate is discovered and returned for the administrator to confirm. */
  pinnedFingerprint?: string | null | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Keeps the session the test opened, for the syncs that follow (the password is still checked: a test always opens a new one). */
  session?: SessionSlot | undefined;
}

export interface TestConnectionResult {
  ok: boolean;
  outcome: TestOutcome;
  message: string;
  hint: string;
  /** The peer's name for itself, when it said it. */
  serverName?: string;
  /** The certificate the peer presented (on `PEER_CERTIFICATE_CHANGED`, the unexpected one). */
  fingerprint?: string;
  /** Seconds to wait, on `PEER_RATE_LIMITED`. */
  retryAfterSeconds?: number;
}

const OUTCOMES: ReadonlySet<string> = new Set<Exclude<TestOutcome, 'OK'>>([
  'PEER_CONNECTION_REFUSED',
  'PEER_TIMEOUT',
  'PEER_NAME_NOT_FOUND',
  'PEER_UNAUTHORIZED',
  'PEER_FORBIDDEN',
  'PEER_CERTIFICATE_CHANGED',
  'SOURCE_CERT_MISMATCH',
  'PEER_RATE_LIMITED',
  'PEER_TLS_ERROR',
  'PEER_PROTOCOL_ERROR',
]);

function outcomeOf(error: PeerError): TestOutcome {
  // anything else (a connection reset, a 413 on a tiny request…) is an answer we did not expect
  return OUTCOMES.has(error.code) ? (error.code as TestOutcome) : 'PEER_PROTOCOL_ERROR';
}

/**
 * Test Connection: can this server sync to the peer at `address:port`?
 *
 * With a pinned fingerprint, every byte goes over a connection pinned to it.
 * Without one, `hello` first goes over a discovery connection to learn the
 * certificate and the peer's name; the password is then sent only over a
 * connection pinned to that very certificate, whose fingerprint the result
 * returns for the administrator to confirm. An impostor could at most answer
 * `hello` with its own certificate — which the administrator then sees does
 * not match the peer's Settings page — but never receives the password.
 */
export async function testConnection(
  input: TestConnectionInput,
  identity: ClientIdentity & { serverName: string },
): Promise<TestConnectionResult> {
  const pinned = input.pinnedFingerprint ? (normaliseFingerprint(input.pinnedFingerprint) ?? input.pinnedFingerprint) : undefined;
  let fingerprint = pinned;
  let serverName: string | undefined;
  const found = (): Pick<TestConnectionResult, 'serverName' | 'fingerprint'> => ({
    ...(serverName !== undefined ? { serverName } : {}),
    ...(fingerprint !== undefined ? { fingerprint } : {}),
  });
  // this server's own certificate at that address: stop before any password or session goes to ourselves
  const thisServer = (): TestConnectionResult => ({
    ok: false,
    outcome: 'PEER_IS_THIS_SERVER',
    message: errorCatalogue.PEER_IS_THIS_SERVER.message,
    hint: errorCatalogue.PEER_IS_THIS_SERVER.hint,
    ...found(),
  });
  const ownFingerprint = certificateFingerprint(identity.certPem);
  if (sameFingerprint(fingerprint, ownFingerprint)) return thisServer();
  try {
    if (!fingerprint) {
      const discovered = await discoverPeer({ address: input.address, port: input.port, identity, timeoutMs: input.timeoutMs, signal: input.signal });
      fingerprint = discovered.fingerprint;
      serverName = discovered.hello.serverName;
      if (sameFingerprint(fingerprint, ownFingerprint)) return thisServer();
    }
    const client = new PeerClient({
      address: input.address,
      port: input.port,
      identity,
      pinnedFingerprint: fingerprint,
      timeoutMs: input.timeoutMs,
      connectTimeoutMs: input.timeoutMs,
      ...(input.session ? { session: input.session } : {}),
    });
    try {
      serverName ??= (await client.hello({ ...(input.signal ? { signal: input.signal } : {}) })).serverName;
      const session = await client.openSession(identity.serverName, input.password, input.signal ? { signal: input.signal } : {});
      serverName = session.serverName;
    } finally {
      await client.close();
    }
    return {
      ok: true,
      outcome: 'OK',
      message: `Connected — "${serverName}" is reachable and accepts syncs from this server`,
      hint: pinned
        ? "The peer presented the pinned certificate."
        : "Compare this fingerprint with the one on the peer's Settings page; if they match, save it to pin the peer.",
      ...found(),
    };
  } catch (error) {
    const peerError = peerErrorFrom(error, { address: input.address, port: input.port, timeoutMs: input.timeoutMs });
    if (peerError.seenFingerprint) fingerprint = peerError.seenFingerprint;
    return {
      ok: false,
      outcome: outcomeOf(peerError),
      message: peerError.message,
      hint: peerError.hint,
      ...found(),
      ...(peerError.retryAfterSeconds !== undefined ? { retryAfterSeconds: peerError.retryAfterSeconds } : {}),
    };
  }
}
