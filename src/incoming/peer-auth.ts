import { AnemoneError } from '../errors/catalogue.js';
import { PROTOCOL_VERSION } from '../protocol/v1/index.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { SourceCertificates } from './source-certificates.js';
import type { SyncSessions } from './sync-sessions.js';
import type { SyncSettings } from './sync-settings.js';

export interface PeerAuthDeps {
  settings: SyncSettings;
  certificates: SourceCertificates;
  sessions: SyncSessions;
  limiter: FailureLimiter;
  /** This server's name ('' before first setup). */
  serverName: () => string;
  /** This server's certificate fingerprint. */
  fingerprint: string;
}

/** What identifies a caller: the SHA-256 fingerprint of its client certificate, and its address for rate limiting. */
export interface PeerCaller {
  clientFingerprint: string | undefined;
  address: string;
}

/**
 * Who may sync here. The source is identified by its client certificate
 * only; the password is checked once per session, rate limited per address.
 */
export class PeerAuth {
  constructor(private readonly deps: PeerAuthDeps) {}

  hello(): { protocolVersion: number; serverName: string; fingerprint: string } {
    return { protocolVersion: PROTOCOL_VERSION, serverName: this.deps.serverName(), fingerprint: this.deps.fingerprint };
  }

  async openSession(
    input: { sourceServer: string; password?: string | undefined },
    caller: PeerCaller,
  ): Promise<{ token: string; expiresAt: string; serverName: string; boundNow: boolean }> {
    const fingerprint = requireCertificate(caller);
    this.requireAcceptingSyncs();
    if (this.deps.settings.passwordRequired()) await this.checkPassword(input.password, caller);
    const outcome = this.deps.certificates.bindOrRefuse(input.sourceServer, fingerprint);
    const session = this.deps.sessions.open(input.sourceServer, fingerprint);
    return { token: session.token, expiresAt: session.expiresAt.toISOString(), serverName: this.deps.serverName(), boundNow: outcome === 'bound-now' };
  }

  /** The source a session request speaks for; checked on every request. */
  authenticate(token: string | undefined, caller: PeerCaller): string {
    const fingerprint = requireCertificate(caller);
    this.requireAcceptingSyncs();
    const source = token === undefined ? undefined : this.deps.sessions.sourceFor(token, fingerprint);
    if (source === undefined) throw new AnemoneError('SESSION_INVALID');
    return source;
  }

  /**
   * Whether a caller may fetch a source's recovery kit: by the server
   * password alone, since a rebuilt source has lost the certificate its name
   * is bound to. A server without a password hands out no kit (anyone could
   * then take it away to guess its passphrase offline).
   */
  async authorizeKitFetch(password: string, caller: PeerCaller): Promise<void> {
    this.requireAcceptingSyncs();
    if (!this.deps.settings.passwordRequired()) {
      throw new AnemoneError('PEER_UNAUTHORIZED', {
        message: '401 Unauthorized — this server has no sync password, so it hands out no recovery kit',
        hint: "The peer's administrator sets a server password (Settings → Sync); then ask again with it.",
      });
    }
    await this.checkPassword(password, caller);
  }

  /** The password check of sessions and kit fetches: rate limited per address, counted before the slow hash. */
  private async checkPassword(password: string | undefined, caller: PeerCaller): Promise<void> {
    const { limiter, settings } = this.deps;
    const retryAfterSeconds = limiter.retryAfterSeconds(caller.address);
    if (retryAfterSeconds > 0) {
      throw new AnemoneError('TOO_MANY_ATTEMPTS', {
        message: `Too many wrong passwords from this address; try again in ${retryAfterSeconds} s`,
        details: { retryAfterSeconds },
      });
    }
    // counted before the slow check, so guesses sent in parallel count too; a success clears it
    limiter.recordFailure(caller.address);
    if (!(await settings.passwordAccepts(password))) {
      throw new AnemoneError('PEER_UNAUTHORIZED', {
        message: password === undefined ? '401 Unauthorized — this server needs its sync password' : '401 Unauthorized — the peer password is wrong',
      });
    }
    limiter.reset(caller.address);
  }

  private requireAcceptingSyncs(): void {
    if (!this.deps.settings.acceptsIncoming()) throw new AnemoneError('PEER_FORBIDDEN');
  }
}

function requireCertificate(caller: PeerCaller): string {
  if (!caller.clientFingerprint) throw new AnemoneError('CLIENT_CERT_REQUIRED');
  return caller.clientFingerprint;
}
