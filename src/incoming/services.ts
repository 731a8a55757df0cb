import { mkdir, realpath } from 'node:fs/promises';
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
import { type IncomingStoreConfig, describeIncomingStore } from '../config/config.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { IncomingMultipartRepo } from '../db/incoming-multipart-repo.js';
import type { IncomingStore } from './incoming-store.js';
import { openIncomingStore } from './open-store.js';
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
  /** Releases the store's connections (an S3 client's sockets). */
  close(): void;
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
  repos: { settings: SettingsRepo; incoming: IncomingRepo; incomingHistory: IncomingHistoryRepo; incomingMultipart: IncomingMultipartRepo };
  incomingDir: string;
  /** Where received backups are kept; the filesystem (incomingDir) unless set. */
  store?: IncomingStoreConfig | undefined;
  fingerprint: string;
  serverName: () => string;
  logger: Logger;
  options?: IncomingOptions | undefined;
}): Promise<IncomingServices> {
  const sessions = new SyncSessions();
  const settings = new SyncSettings(deps.repos.settings, () => sessions.endAll());
  const certificates = new SourceCertificates(deps.repos.incoming);
  const now = deps.options?.now ?? (() => new Date());
  await mkdir(deps.incomingDir, { recursive: true });
  // an administrator may make the folder itself a link (to another disk): resolved once, since the stores
  // refuse links below it, the folders they fsync included (fsync.ts)
  const incomingDir = await realpath(deps.incomingDir);
  const storeConfig = deps.store ?? { kind: 'fs' };
  keepStoreChoice(deps.repos.settings, deps.repos.incoming, storeConfig);
  const opened = await openIncomingStore({
    config: storeConfig,
    incomingDir,
    repos: deps.repos,
    options: {
      maxUploadBytes: deps.options?.maxUploadBytes,
      createWriteStream: deps.options?.createWriteStream,
      partialExpiryMs: deps.options?.partialExpiryMs,
      maxPartialsPerSource: deps.options?.maxPartialsPerSource,
      now,
      keepVersionsDays: (source) => deps.repos.incomingHistory.limitsOf(source).keepVersionsDays ?? settings.keepVersionsDays(),
    },
  });
  const { store } = opened;
  const { history } = store;
  deps.logger.info({ incomingStore: describeIncomingStore(storeConfig) }, 'incoming backups are kept here');
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
    close: opened.close,
    pruner,
    historyPrune,
    settings,
    auth: new PeerAuth({ settings, certificates, sessions, limiter: new FailureLimiter(), serverName: deps.serverName, fingerprint: deps.fingerprint }),
    store,
    admin: new IncomingAdmin({ repo: deps.repos.incoming, store, certificates, sessions, history: deps.repos.incomingHistory, pruner }),
    kits: new RecoveryKitStore(incomingDir, deps.options?.createWriteStream),
    partialSweep,
  };
}

/** The settings table's entry naming where received backups are kept (`fs`, or `s3:<bucket>/<prefix>`). */
export const STORE_SETTING = 'incoming_store';

/** The entry's value for a store: where it is, never how to reach it (endpoint and secrets may change). */
export function storeChoiceOf(store: IncomingStoreConfig): string {
  return store.kind === 'fs' ? 'fs' : `s3:${store.location.bucket}/${store.location.prefix}`;
}

/**
 * The store received backups were kept in is remembered in the settings
 * table: started against another (a forgotten ANEMONE_INCOMING_STORE, another
 * bucket or prefix) while the stats say backups are held, the server refuses
 * to start rather than tell every source its backups are gone. The endpoint
 * and credentials may change freely: the same bucket moves hosts.
 */
function keepStoreChoice(settings: SettingsRepo, incoming: IncomingRepo, store: IncomingStoreConfig): void {
  const chosen = storeChoiceOf(store);
  const recorded = settings.get(STORE_SETTING);
  if (recorded !== undefined && recorded !== chosen && incoming.listShares().length > 0) {
    throw new AnemoneError('INCOMING_STORE_CHANGED', {
      message: `This server keeps the backups of its peers in ${recorded} and is now configured for ${chosen}: it would answer its sources as if their backups were gone`,
    });
  }
  settings.set(STORE_SETTING, chosen);
}
