import type { IncomingRepo, IncomingShareRow, IncomingSourceRow } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { SourceCertificates } from './source-certificates.js';
import type { IncomingStore } from './store.js';
import type { SyncSessions } from './sync-sessions.js';

export interface IncomingShareSummary {
  user: string;
  share: string;
  fileCount: number;
  bytesUsed: number;
  lastReceivedAt: string | null;
  /** The manifest generation the source announced last (the peer cannot read the manifest). */
  generation: number | null;
}

export interface IncomingSourceSummary {
  name: string;
  /** Null only for files left by a source whose binding is gone. */
  fingerprint: string | null;
  pendingFingerprint: string | null;
  fileCount: number;
  bytesUsed: number;
  lastReceivedAt: string | null;
  shares: IncomingShareSummary[];
}

export interface IncomingOverview {
  /** Sources that store at least one share here. */
  peerCount: number;
  fileCount: number;
  bytesUsed: number;
  sources: IncomingSourceSummary[];
}

/** The administrator's view of incoming backups: stats, deletion, accepting a source's new certificate. */
export class IncomingAdmin {
  constructor(
    private readonly deps: { repo: IncomingRepo; store: IncomingStore; certificates: SourceCertificates; sessions: SyncSessions },
  ) {}

  overview(): IncomingOverview {
    const sources = this.summaries();
    return {
      peerCount: sources.filter((source) => source.shares.length > 0).length,
      fileCount: sum(sources.map((source) => source.fileCount)),
      bytesUsed: sum(sources.map((source) => source.bytesUsed)),
      sources,
    };
  }

  source(name: string): IncomingSourceSummary {
    const found = this.summaries(name).find((source) => source.name === name);
    if (!found) throw unknownSource(name);
    return found;
  }

  /**
   * Deletes a source's, a user's or a share's backups from disk and stats.
   * The certificate binding stays: the source is still known, and another
   * certificate claiming its name is still refused.
   */
  async delete(filter: { source: string; user?: string | undefined; share?: string | undefined }): Promise<{ deletedFiles: number; deletedBytes: number }> {
    this.source(filter.source);
    const removed = await this.deps.store.deleteStored(filter);
    return { deletedFiles: removed.fileCount, deletedBytes: removed.bytesUsed };
  }

  /** Trusts the certificate waiting for `name`; sessions opened with the old one end. */
  acceptCertificate(name: string): IncomingSourceSummary {
    this.deps.certificates.acceptPending(name);
    this.deps.sessions.endForSource(name);
    return this.source(name);
  }

  private summaries(only?: string): IncomingSourceSummary[] {
    const bindings = only === undefined ? this.deps.repo.listSources() : [this.deps.repo.findSource(only)].filter((row) => row !== undefined);
    const shares = this.deps.repo.listShares(only);
    const names = [...new Set([...bindings.map((row) => row.name), ...shares.map((row) => row.source)])].sort();
    return names.map((name) =>
      summarise(
        name,
        bindings.find((row) => row.name === name),
        shares.filter((row) => row.source === name),
      ),
    );
  }
}

function summarise(name: string, binding: IncomingSourceRow | undefined, shares: IncomingShareRow[]): IncomingSourceSummary {
  const received = shares.map((row) => row.lastReceivedAt).filter((at): at is string => at !== null);
  return {
    name,
    fingerprint: binding?.fingerprint ?? null,
    pendingFingerprint: binding?.pendingFingerprint ?? null,
    fileCount: sum(shares.map((row) => row.fileCount)),
    bytesUsed: sum(shares.map((row) => row.bytesUsed)),
    // ISO-8601 strings of one clock sort as the times they name
    lastReceivedAt: received.length > 0 ? received.sort().at(-1) ?? null : null,
    shares: shares.map(({ user, share, fileCount, bytesUsed, lastReceivedAt, generation }) => ({ user, share, fileCount, bytesUsed, lastReceivedAt, generation })),
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function unknownSource(name: string): AnemoneError {
  return new AnemoneError('NOT_FOUND', { message: `No source server named "${name}" stores backups here` });
}
