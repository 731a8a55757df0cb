import type { IncomingRepo } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';

export type BindingOutcome = 'bound-now' | 'matches';

/**
 * Trust on first use for source names: the first certificate that
 * authenticates for a name is bound to it; any other certificate claiming
 * that name is refused, and remembered as pending until the administrator
 * compares fingerprints and accepts it.
 */
export class SourceCertificates {
  constructor(
    private readonly repo: IncomingRepo,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Call only after the password was accepted, so strangers cannot fill the pending slot. */
  bindOrRefuse(source: string, fingerprint: string): BindingOutcome {
    const at = this.now().toISOString();
    if (this.repo.bindSource({ name: source, fingerprint, at })) return 'bound-now';
    const bound = this.repo.findSource(source);
    if (bound && bound.fingerprint === fingerprint) {
      this.repo.touchSource(source, at);
      return 'matches';
    }
    this.repo.setPendingFingerprint(source, fingerprint);
    throw new AnemoneError('SOURCE_CERT_MISMATCH', {
      message: `403 Forbidden — another certificate already speaks for the server name "${source}"`,
    });
  }

  /** Makes the pending certificate of `source` the bound one. */
  acceptPending(source: string): void {
    if (!this.repo.findSource(source)) throw new AnemoneError('NOT_FOUND', { message: `No source server named "${source}" has synced here` });
    if (!this.repo.acceptPendingFingerprint(source)) {
      throw new AnemoneError('NOT_FOUND', { message: `No new certificate is waiting for "${source}"`, hint: 'The source must try to sync with its new certificate first.' });
    }
  }
}
