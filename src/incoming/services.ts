import { mkdir } from 'node:fs/promises';
import type { IncomingHistoryRepo } from '../db/incoming-history-repo.js';
import type { IncomingRepo } from '../db/incoming-repo.js';
import type { SettingsRepo } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import { FailureLimiter } from './failure-limiter.js';
import { IncomingAdmin } from './incoming-admin.js';
import { PeerAuth } from './peer-auth.js';
import { RecoveryKitStore } from './recovery-kit-store.js';
import { SourceCertificates } from './source-certificates.js';
import { HistoryPruner } from './history-pruner.js';
import { ShareHistory } from './share-history.js';
import { FsHistoryFiles } from './fs-history-files.js';
import { FsIncomingStore } from './fs-store.js';
import type { IncomingStore } from './incoming-store.js';
import { SyncSessions } from './sync-sessions.js';
import { SyncSettings } from './sync-settings.js';
import type { WriteStreamFactory } from './temp-file.js';

/** The receiving side of peer sync, as the HTTP layer uses it. */
export interface IncomingServices {
  settings: SyncSettings;
  auth: PeerAuth;
  store: IncomingStore;
  admin: IncomingAdmin;
  /** Sources' recovery kits, kept sealed (fetchRecoveryKit hands one back). */
  kits: RecoveryKitStore;
  /** Removes abandoned partial uploads now and every `partialSweepMs`; `stop` ends the timer. */
  partialSweep: { start(): void; stop(): void };
  /** Retention: what history the next prune frees, and the prune itself (daily once `start`ed). */
  pruner: HistoryPruner;
  historyPrune: { start(): void; stop(): void };
}

export interface IncomingOptions {
  /** The largest single upload (413 beyond); 64 GiB by default. Tests make it small. */
  maxUploadBytes?: number | undefined;
  createWriteStream?: WriteStreamFactory | undefined;
  /** How long a partial upload untouched is kept for its source to resume; 24 h by default. */
  partialExpiryMs?: number | undefined;
  /** How often abandoned partials are looked for; hourly by default. */
  partialSweepMs?: number | undefined;
  /** Partial uploads one source may keep at once (the oldest goes first); 8 by default. */
  maxPartialsPerSource?: number | undefined;
  /** The clock of history and retention; tests move it. */
  now?: (() => Date) | undefined;
  /** How often retention prunes history; daily by default. */
  historyPruneMs?: number | undefined;
}

const DEFAULT_HISTORY_PRUNE_MS = 24 * 60 * 60 * 1000;

const DEFAULT_PARTIAL_SWEEP_MS = 60 * 60 * 1000;

/**
 * Builds the receiving side and, before anything is served, removes the
 * temporary files an interrupted upload left behind.
 */
export async function openIncomingServices(deps: {
  repos: { settings: SettingsRepo; incoming: IncomingRepo; incomingHistory: IncomingHistoryRepo };
  incomingDir: string;
  fingerprint: string;
  serverName: () => string;
  logger: Logger;
  options?: IncomingOptions | undefined;
}): Promise<IncomingServices> {
  const sessions = new SyncSessions();
  const settings = new SyncSettings(deps.repos.settings, () => sessions.endAll());
  const certificates = new SourceCertificates(deps.repos.incoming);
  const now = deps.options?.now ?? (() => new Date());
  const history = new ShareHistory({
    files: new FsHistoryFiles(deps.incomingDir),
    repo: deps.repos.incomingHistory,
    now,
    keepVersionsDays: (source) => deps.repos.incomingHistory.limitsOf(source).keepVersionsDays ?? settings.keepVersionsDays(),
  });
  const store = new FsIncomingStore({
    root: deps.incomingDir,
    repo: deps.repos.incoming,
    maxUploadBytes: deps.options?.maxUploadBytes,
    createWriteStream: deps.options?.createWriteStream,
    now,
    history,
    partials: { expiryMs: deps.options?.partialExpiryMs, maxPerSource: deps.options?.maxPartialsPerSource },
  });
  await mkdir(deps.incomingDir, { recursive: true });
  const orphans = await store.removeOrphanTemps();
  if (orphans > 0) deps.logger.info({ orphans }, 'removed temporary files left by interrupted incoming syncs');
  const sweepPartials = async () => {
    try {
      const removed = await store.removeAbandonedUploads();
      if (removed > 0) deps.logger.info({ removed }, 'removed partial uploads their sources abandoned');
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not remove abandoned partial uploads; tried again later');
    }
  };
  await sweepPartials();
  let sweepTimer: NodeJS.Timeout | undefined;
  const partialSweep = {
    start: () => {
      sweepTimer ??= setInterval(() => void sweepPartials(), deps.options?.partialSweepMs ?? DEFAULT_PARTIAL_SWEEP_MS);
      sweepTimer.unref();
    },
    stop: () => {
      clearInterval(sweepTimer);
      sweepTimer = undefined;
    },
  };
  const pruner = new HistoryPruner({ repo: deps.repos.incomingHistory, history, now, logger: deps.logger });
  const prune = async () => {
    try {
      await pruner.prune();
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not apply retention to incoming history; tried again at the next run');
    }
  };
  let pruneTimer: NodeJS.Timeout | undefined;
  const historyPrune = {
    start: () => {
      if (pruneTimer !== undefined) return;
      void prune();
      pruneTimer = setInterval(() => void prune(), deps.options?.historyPruneMs ?? DEFAULT_HISTORY_PRUNE_MS);
      pruneTimer.unref();
    },
    stop: () => {
      clearInterval(pruneTimer);
      pruneTimer = undefined;
    },
  };
  return {
    pruner,
    historyPrune,
    settings,
    auth: new PeerAuth({ settings, certificates, sessions, limiter: new FailureLimiter(), serverName: deps.serverName, fingerprint: deps.fingerprint }),
    store,
    admin: new IncomingAdmin({ repo: deps.repos.incoming, store, certificates, sessions, history: deps.repos.incomingHistory, pruner }),
    kits: new RecoveryKitStore(deps.incomingDir, deps.options?.createWriteStream),
    partialSweep,
  };
}
