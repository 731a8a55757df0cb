import { mkdir } from 'node:fs/promises';
import type { IncomingRepo } from '../db/incoming-repo.js';
import type { SettingsRepo } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import { FailureLimiter } from './failure-limiter.js';
import { IncomingAdmin } from './incoming-admin.js';
import { PeerAuth } from './peer-auth.js';
import { RecoveryKitStore } from './recovery-kit-store.js';
import { SourceCertificates } from './source-certificates.js';
import { IncomingStore } from './store.js';
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
}

export interface IncomingOptions {
  /** The largest single upload (413 beyond); 64 GiB by default. Tests make it small. */
  maxUploadBytes?: number | undefined;
  createWriteStream?: WriteStreamFactory | undefined;
}

/**
 * Builds the receiving side and, before anything is served, removes the
 * temporary files an interrupted upload left behind.
 */
export async function openIncomingServices(deps: {
  repos: { settings: SettingsRepo; incoming: IncomingRepo };
  incomingDir: string;
  fingerprint: string;
  serverName: () => string;
  logger: Logger;
  options?: IncomingOptions | undefined;
}): Promise<IncomingServices> {
  const sessions = new SyncSessions();
  const settings = new SyncSettings(deps.repos.settings, () => sessions.endAll());
  const certificates = new SourceCertificates(deps.repos.incoming);
  const store = new IncomingStore({
    root: deps.incomingDir,
    repo: deps.repos.incoming,
    maxUploadBytes: deps.options?.maxUploadBytes,
    createWriteStream: deps.options?.createWriteStream,
  });
  await mkdir(deps.incomingDir, { recursive: true });
  const orphans = await store.removeOrphanTemps();
  if (orphans > 0) deps.logger.info({ orphans }, 'removed temporary files left by interrupted incoming syncs');
  return {
    settings,
    auth: new PeerAuth({ settings, certificates, sessions, limiter: new FailureLimiter(), serverName: deps.serverName, fingerprint: deps.fingerprint }),
    store,
    admin: new IncomingAdmin({ repo: deps.repos.incoming, store, certificates, sessions }),
    kits: new RecoveryKitStore(deps.incomingDir, deps.options?.createWriteStream),
  };
}
