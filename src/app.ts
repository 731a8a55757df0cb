import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApiTokenService } from './accounts/api-tokens.js';
import { MasterKeyStore } from './accounts/master-key.js';
import { BasicSignIns } from './accounts/basic-sign-ins.js';
import { SessionService } from './accounts/session-service.js';
import { DavServers } from './file-access/dav-servers.js';
import { SetupService } from './accounts/setup-service.js';
import { UserService } from './accounts/user-service.js';
import { type ApiServices, buildListeners } from './api/app.js';
import { UPLOADS_ROUTE } from './api/routes/files.js';
import { type StagedUploadsOptions, StagedUploads } from './files/staged-uploads.js';
import type { AnemoneApp } from './api/types.js';
import type { ConnectionBounds } from './api/connection-bounds.js';
import type { Config } from './config/config.js';
import { createRepositories, openDatabase, type Database, type Repositories } from './db/index.js';
import { loadOrCreateIdentity, type ServerIdentity } from './identity/identity.js';
import { type IncomingOptions, openIncomingServices } from './incoming/services.js';
import { createLogger, type Logger } from './logging/logger.js';
import { ServerMetrics } from './monitoring/metrics.js';
import { HistoryStats } from './monitoring/history-stats.js';
import { type NotifierOptions, Notifier } from './notifications/notifier.js';
import { PairStateStore } from './notifications/pair-state.js';
import { NotificationSettingsStore } from './notifications/settings.js';
import { type SyncAlertsOptions, SyncAlerts } from './notifications/sync-alerts.js';
import { PeerMonitor, type PeerMonitorOptions } from './peers/peer-monitor.js';
import { PeerService } from './peers/peer-service.js';
import { createRecoveryServices } from './recovery/services.js';
import { VerifyService } from './restore/verify.js';
import { RestoreService } from './restore/restore-service.js';
import { Scheduler, type SchedulerTimers } from './scheduler/scheduler.js';
import { ShareService } from './shares/share-service.js';
import { peerConnector } from './sync/peer-connector.js';
import { SyncService } from './sync/sync-service.js';
import type { RetryOptions } from './sync/sync-retries.js';
import type { SyncTestHooks } from './sync/types.js';
import type { RetryPolicy } from './sync/resumable-upload.js';
import { VERSION } from './version.js';
import { removeServerPid, writeServerPid } from './util/server-pid-file.js';

export interface AnemoneServer {
  config: Config;
  identity: ServerIdentity;
  logger: Logger;
  repos: Repositories;
  services: { setup: SetupService; sessions: SessionService; users: UserService; shares: ShareService; peers: PeerService; sync: SyncService; scheduler: Scheduler; restore: RestoreService };
  /** The UI and its API; with one port, the peer protocol too. */
  app: AnemoneApp;
  /** The peers' own listener (/health and the peer protocol), when ANEMONE_PEER_PORT is set. */
  peerApp: AnemoneApp | undefined;
  /**
   * Listens on the configured addresses and ports; resolves with the URLs (the real ports when 0 was
   * asked). `peerPort` is the port peers connect to: the peer listener's, or the one port.
   */
  start(): Promise<{ url: string; port: number; peerUrl: string; peerPort: number }>;
  stop(): Promise<void>;
  /** Reopens ANEMONE_LOG_FILE at its path (the CLI calls it on SIGHUP, after logrotate moved the file). */
  reopenLogFile(): void;
  /** Presents a renewed TLS_CERT_PATH on the UI port (the CLI calls it on SIGHUP); says what it did. */
  reloadUiCertificate(): Promise<string>;
}

/** Said at start when one port serves peers with the administrator's own certificate. */
export const ONE_PORT_CUSTOM_CERTIFICATE =
  'Peers pin this server by its certificate, and with one port that is TLS_CERT_PATH: each renewal changes its fingerprint, and every peer must then accept the new one before it syncs here again. ' +
  "Set ANEMONE_PEER_PORT to give peers a port of their own with this server's own certificate; the UI's certificate can then renew freely.";

/** The services without HTTP: shared by the server and by CLI commands that work on a data directory. */
export async function openCore(config: Config, logger: Logger) {
  for (const dir of [config.dataDir, config.sharesDir, config.incomingDir]) {
    await mkdir(dir, { recursive: true });
  }
  const db: Database = openDatabase(config.dbPath);
  const repos = createRepositories(db);
  const masterKeys = new MasterKeyStore(config.secretsDir);
  await masterKeys.load();
  const shares = new ShareService(repos, config.sharesDir);
  const services = {
    setup: new SetupService(repos, masterKeys, shares),
    sessions: new SessionService(repos),
    users: new UserService(repos, masterKeys, shares),
    shares,
  };
  return { db, repos, masterKeys, services, logger };
}

export interface ServerOptions {
  /** Settings of the receiving side that are not environment variables (tests make the upload limit small). */
  incoming?: IncomingOptions;
  /** The web file manager's uploads: size cap, free-space reserve, expiry; tests make them small. */
  uploads?: StagedUploadsOptions;
  /** How a dropped large upload is tried again inside a run (src/sync/resumable-upload.ts); tests make the waits short. */
  uploadRetry?: Partial<RetryPolicy>;
  /** The scheduler's clock and time zone (tests put it on a DST night); by default the real clock and the process's TZ. */
  scheduler?: { now?: () => Date; timeZone?: string; timers?: SchedulerTimers };
  /** The retries of a failed scheduled run (src/sync/sync-retries.ts); tests make the waits milliseconds. */
  syncRetries?: RetryOptions;
  /** TEST ONLY, never set in production: points where a test acts inside a sync run (src/sync/types.ts). */
  syncTestHooks?: SyncTestHooks;
  /** Notifications (src/notifications/): delivery retries and grouping, and the stale check's clock and timer; tests make them short. */
  notifications?: { notifier?: NotifierOptions; alerts?: SyncAlertsOptions };
  /** The background peer health check (src/peers/peer-monitor.ts); tests make its interval short. */
  peerChecks?: PeerMonitorOptions;
  /** How long a client may hold a connection without progress (src/api/connection-bounds.ts); tests make them short. */
  connectionBounds?: Partial<ConnectionBounds>;
}

/**
 * The composition root: builds every service from the config. It keeps no
 * module-level state, so several servers run side by side in one process.
 */
export async function createServer(config: Config, options: ServerOptions = {}): Promise<AnemoneServer> {
  const { logger, reopenFile: reopenLogFile } = createLogger({ level: config.logLevel, console: config.logToStdout ? 'stdout' : 'none', file: config.logFile });
  const { db, repos, masterKeys, services: core } = await openCore(config, logger);
  // with a port of their own, peers always see this server's own certificate, whatever TLS_CERT_PATH holds
  const identity = await loadOrCreateIdentity(config.peerPort === undefined ? config : { certsDir: config.certsDir });
  // peers need the identity (our client certificate), which CLI commands working on a data directory do not load
  const peers = new PeerService({
    repos,
    masterKeys,
    identity: { certPem: identity.certPem, keyPem: identity.keyPem },
    serverName: () => core.setup.serverName(),
  });
  // restore: browsing and downloading backups from peers, restores into shares (jobs live in memory)
  const restore = new RestoreService({
    repos,
    masterKeys,
    peers,
    serverName: () => core.setup.serverName(),
    sharePath: (username, shareName) => core.shares.sharePath(username, shareName),
    // a restore does not start into a share being synced, nor a sync into a share being restored (below):
    // a half-restored share would look to the peer like deleted files
    isSyncing: (username, shareName) => sync.runningSyncs().some((run) => run.username === username && run.shareName === shareName),
    logger,
  });
  // scraped from SQLite and the peers' recorded status, plus what the sync engine counts as it sends (see SyncMeter)
  const metrics: ServerMetrics = new ServerMetrics({
    repos,
    peers,
    incoming: { overview: () => incoming.admin.overview() },
    runningSyncs: (): number => sync.runningSyncs().length,
    version: VERSION,
  });
  // notifications: a finished run is handed over and the sync goes on; delivery and its retries happen behind
  const notificationSettings = new NotificationSettingsStore(repos.settings);
  const notifier = new Notifier({ settings: notificationSettings, serverName: () => core.setup.serverName(), logger, options: options.notifications?.notifier });
  const alerts = new SyncAlerts({
    settings: notificationSettings,
    state: new PairStateStore(repos.settings),
    notify: (event) => notifier.notify(event),
    watchedPairs: () => {
      const { shares, peers: ready } = sync.scheduledPairs();
      return shares.flatMap((share) => ready.map((peer) => ({ shareId: share.id, peerId: peer.id, user: share.username, share: share.name, peer: peer.name })));
    },
    lastSuccess: (shareId, peerId) => repos.lastSync.lastSuccess(shareId, peerId),
    logger,
    options: options.notifications?.alerts,
  });
  const sync = new SyncService({
    repos,
    masterKeys,
    peers: peerConnector(peers),
    serverName: () => core.setup.serverName(),
    sharePath: (username, shareName) => core.shares.sharePath(username, shareName),
    // a half-restored share would look like mass deletion to the sync: it waits for the restore
    holdOff: (username, shareName) => restore.assertNotRestoring(username, shareName),
    logger,
    ...(options.syncTestHooks ? { testHooks: options.syncTestHooks } : {}),
    uploadRetry: options.uploadRetry,
    ...(options.syncRetries ? { retries: options.syncRetries } : {}),
    meter: metrics,
    onRunFinished: (outcome) => alerts.runFinished(outcome),
  });
  // runs a dead process left `running` end as `interrupted`; the next sync resumes from the peer's manifest
  sync.cleanUpInterruptedRuns();
  const peerMonitor = new PeerMonitor(peers, logger, options.peerChecks);
  // the server's local time zone (TZ) applies; syncEverything refuses a share and peer already syncing
  const scheduler = new Scheduler({ repos, runSync: () => sync.syncEverything({ scheduled: true }), logger, ...options.scheduler });
  const services = { ...core, peers, sync, scheduler, restore };
  // the receiving side of peer sync; opening it removes temporary files an interrupted upload left
  const incoming = await openIncomingServices({
    repos,
    incomingDir: config.incomingDir,
    store: config.incomingStore,
    fingerprint: identity.fingerprint,
    serverName: () => (core.setup.isSetUp() ? core.setup.serverName() : ''),
    logger,
    options: options.incoming,
  });
  // disaster recovery: the kit and its copies on peers, the first-run rebuild, kept keys; and verification of a peer
  const recovery = createRecoveryServices({ repos, masterKeys, identity, setup: core.setup, peers, shares: core.shares, certsDir: config.certsDir, logger });
  const verify = new VerifyService({ repos, masterKeys, peers, serverName: () => core.setup.serverName(), logger });
  const tokens = new ApiTokenService(repos);
  const stats = new HistoryStats({ repos, incoming: incoming.admin, folders: { shares: config.sharesDir, incoming: config.incomingDir } });
  // the web file manager's resumable uploads, staged outside the shares until every byte arrived
  const uploads = new StagedUploads({
    dir: path.join(config.dataDir, 'uploads'),
    route: UPLOADS_ROUTE,
    shareFolder: (owner, shareName) => core.shares.folderOf(owner, shareName),
    logger,
    options: options.uploads,
  });
  const listeners = await buildListeners(config, identity, { services: { ...services, uploads, incoming, recovery, verify, tokens, metrics, notifications: { settings: notificationSettings, notifier }, stats, fileAccess: createFileAccess(repos, core, logger) }, repos, logger, version: VERSION, connectionBounds: options.connectionBounds });

  return {
    config,
    identity,
    logger,
    repos,
    services,
    app: listeners.ui,
    peerApp: listeners.peer,
    reopenLogFile,
    reloadUiCertificate: () => listeners.reloadUiCertificate(),
    async start() {
      const listening = await listeners.listen();
      writeServerPid(config.dataDir);
      peerMonitor.start();
      recovery.kits.start();
      scheduler.start();
      alerts.start();
      incoming.partialSweep.start();
      incoming.historyPrune.start();
      uploads.start();
      logger.info({ port: listening.port, peerPort: listening.peerPort, bind: config.bind, fingerprint: identity.fingerprint, dataDir: config.dataDir }, 'server started');
      if (config.peerPort === undefined && identity.origin === 'custom') logger.warn(ONE_PORT_CUSTOM_CERTIFICATE);
      return listening;
    },
    async stop() {
      peerMonitor.stop();
      await recovery.kits.stop();
      scheduler.stop();
      alerts.stop();
      incoming.partialSweep.stop();
      incoming.historyPrune.stop();
      uploads.stop();
      await sync.stopAll();
      await notifier.stop();
      await restore.stopAll();
      await peers.close();
      await listeners.close();
      incoming.close();
      db.close();
      removeServerPid(config.dataDir);
      logger.flush();
    },
  };
}

/** WebDAV at /dav/: Basic sign-ins checked like the login's (and remembered a few minutes), one WebDAV server per user on their folder. */
function createFileAccess(repos: Repositories, core: { sessions: SessionService; shares: ShareService }, logger: Logger): ApiServices['fileAccess'] {
  return {
    signIns: new BasicSignIns(repos, (username, password) => core.sessions.verifyCredentials(username, password)),
    servers: new DavServers(
      (username) => core.shares.userFolder(username),
      ({ user, error }) => logger.error({ err: error, user }, 'WebDAV: a file operation failed'),
    ),
  };
}
