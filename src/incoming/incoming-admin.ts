import type { IncomingRepo, IncomingShareRow, IncomingSourceRow } from '../db/incoming-repo.js';
import type { IncomingHistoryRepo, SourceLimits } from '../db/incoming-history-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { HistoryPruner } from './history-pruner.js';
import type { SourceCertificates } from './source-certificates.js';
import type { IncomingStore } from './incoming-store.js';
import type { SyncSessions } from './sync-sessions.js';

export interface IncomingShareSummary {
  user: string;
  share: string;
  fileCount: number;
  bytesUsed: number;
  lastReceivedAt: string | null;
  /** The manifest generation the source announced last (the peer cannot read the manifest). */
  generation: number | null;
  /** Bytes kept as history: replaced and deleted objects, old manifests and deltas. */
  versionBytes: number;
  /** What the next prune of retention frees. */
  prunableBytes: number;
}

export interface IncomingSourceSummary {
  name: string;
  /** Null only for files left by a source whose binding is gone. */
  fingerprint: string | null;
  pendingFingerprint: string | null;
  fileCount: number;
  bytesUsed: number;
  lastReceivedAt: string | null;
  versionBytes: number;
  prunableBytes: number;
  /** This source's retention: its override, else the server's. */
  keepVersionsDays: number;
  /** Null: the server's setting applies. */
  keepVersionsDaysOverride: number | null;
  /** The most this source may hold here, current state and history together; null: no quota. */
  maxBytes: number | null;
  shares: IncomingShareSummary[];
}

export interface IncomingOverview {
  /** Sources that store at least one share here. */
  peerCount: number;
  fileCount: number;
  bytesUsed: number;
  /** Bytes kept as history, every source together. */
  versionBytes: number;
  sources: IncomingSourceSummary[];
}

/** The administrator's view of incoming backups: stats, deletion, accepting a source's new certificate. */
export class IncomingAdmin {
  constructor(
    private readonly deps: {
      repo: IncomingRepo;
      store: IncomingStore;
      certificates: SourceCertificates;
      sessions: SyncSessions;
      history: IncomingHistoryRepo;
      pruner: HistoryPruner;
    },
  ) {}

  /** A source's own retention and quota (`null`: the server's retention, no quota); fields left out stay as they are. */
  setLimits(name: string, input: Partial<SourceLimits>): IncomingSourceSummary {
    this.source(name);
    const current = this.deps.history.limitsOf(name);
    this.deps.history.setLimits(name, {
      keepVersionsDays: input.keepVersionsDays === undefined ? current.keepVersionsDays : input.keepVersionsDays,
      maxBytes: input.maxBytes === undefined ? current.maxBytes : input.maxBytes,
    });
    return this.source(name);
  }

  overview(): IncomingOverview {
    const sources = this.summaries();
    return {
      peerCount: sources.filter((source) => source.shares.length > 0).length,
      fileCount: sum(sources.map((source) => source.fileCount)),
      bytesUsed: sum(sources.map((source) => source.bytesUsed)),
      versionBytes: sum(sources.map((source) => source.versionBytes)),
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
    return names.map((name) => {
      const summary = summarise(
        name,
        bindings.find((row) => row.name === name),
        shares.filter((row) => row.source === name),
      );
      for (const share of summary.shares) {
        const ref = { source: name, user: share.user, share: share.share };
        share.versionBytes = this.deps.history.historyBytes(ref);
        share.prunableBytes = this.deps.pruner.plan(ref).bytes;
      }
      const limits = this.deps.history.limitsOf(name);
      return {
        ...summary,
        versionBytes: sum(summary.shares.map((share) => share.versionBytes)),
        prunableBytes: sum(summary.shares.map((share) => share.prunableBytes)),
        keepVersionsDays: this.deps.pruner.keepVersionsDays(name),
        keepVersionsDaysOverride: limits.keepVersionsDays,
        maxBytes: limits.maxBytes,
      };
    });
  }
}

function summarise(
  name: string,
  binding: IncomingSourceRow | undefined,
  shares: IncomingShareRow[],
): Omit<IncomingSourceSummary, 'versionBytes' | 'prunableBytes' | 'keepVersionsDays' | 'keepVersionsDaysOverride' | 'maxBytes'> {
  const received = shares.map((row) => row.lastReceivedAt).filter((at): at is string => at !== null);
  return {
    name,
    fingerprint: binding?.fingerprint ?? null,
    pendingFingerprint: binding?.pendingFingerprint ?? null,
    fileCount: sum(shares.map((row) => row.fileCount)),
    bytesUsed: sum(shares.map((row) => row.bytesUsed)),
    // ISO-8601 strings of one clock sort as the times they name
    lastReceivedAt: received.length > 0 ? received.sort().at(-1) ?? null : null,
    shares: shares.map(({ user, share, fileCount, bytesUsed, lastReceivedAt, generation }) => ({
      user,
      share,
      fileCount,
      bytesUsed,
      lastReceivedAt,
      generation,
      versionBytes: 0,
      prunableBytes: 0,
    })),
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function unknownSource(name: string): AnemoneError {
  return new AnemoneError('NOT_FOUND', { message: `No source server named "${name}" stores backups here` });
}
