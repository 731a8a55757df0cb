import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiTokenService } from '../accounts/api-tokens.js';
import type { SessionService } from '../accounts/session-service.js';
import type { SetupService } from '../accounts/setup-service.js';
import type { UserService } from '../accounts/user-service.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Repositories } from '../db/index.js';
import type { IncomingServices } from '../incoming/services.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { SyncService } from '../sync/sync-service.js';
import type { Logger } from '../logging/logger.js';
import type { ServerMetrics } from '../monitoring/metrics.js';
import type { PeerService } from '../peers/peer-service.js';
import type { ShareService } from '../shares/share-service.js';
import type { StagedUploads } from '../files/staged-uploads.js';
import { DEFAULT_BODY_LIMIT } from './body-limits.js';
import { type ConnectionBounds, DEFAULT_CONNECTION_BOUNDS, closeOnUnreadBody, webBodyDeadline } from './connection-bounds.js';
import { refuseCrossSite } from './cross-site.js';
import { registerErrorHandling } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { authRoutes } from './routes/auth.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { addDavMethods, davRoutes } from './routes/dav.js';
import type { BasicSignIns } from '../accounts/basic-sign-ins.js';
import type { DavServers } from '../file-access/dav-servers.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { notificationRoutes } from './routes/notification-settings.js';
import type { Notifier } from '../notifications/notifier.js';
import type { NotificationSettingsStore } from '../notifications/settings.js';
import { incomingRoutes } from './routes/incoming.js';
import { peerRoutes } from './routes/peers.js';
import { type RecoveryRouteDeps, kitRefreshOnChange, recoveryRoutes } from './routes/recovery.js';
import { verifyRoutes } from './routes/verify.js';
import type { VerifyService } from '../restore/verify.js';
import type { RestoreService } from '../restore/restore-service.js';
import { adminRestoreRoutes } from './routes/admin-restore.js';
import { restoreRoutes } from './routes/restore.js';
import { scheduleRoutes } from './routes/schedule.js';
import { serverRoutes } from './routes/server.js';
import { setupRoutes } from './routes/setup.js';
import { shareRoutes } from './routes/shares.js';
import { statsRoutes } from './routes/stats.js';
import { syncRoutes } from './routes/sync.js';
import { syncSettingsRoutes } from './routes/sync-settings.js';
import { syncV1Routes } from './routes/sync-v1.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { webRoutes } from './routes/web.js';
import { authenticateFrom } from './session.js';
import type { AnemoneApp } from './types.js';
import type { Config } from '../config/config.js';
import type { HistoryStats } from '../monitoring/history-stats.js';
import type { TrustProxy } from '../config/listeners.js';
import { loadCertificatePair, type ServerIdentity } from '../identity/identity.js';

/** What the HTTP layer needs; it holds no logic of its own. */
export interface ApiServices {
  setup: SetupService;
  sessions: SessionService;
  users: UserService;
  shares: ShareService;
  /** Resumable uploads from the web file manager, staged outside the shares. */
  uploads: StagedUploads;
  peers: PeerService;
  sync: SyncService;
  /** The automatic sync schedule. */
  scheduler: Scheduler;
  /** The receiving side of peer sync: the protocol routes, sync settings, incoming backups. */
  incoming: IncomingServices;
  /** Disaster recovery: the recovery kit and its copies on peers, the first-run rebuild, a user entering their kept key. */
  recovery: Omit<RecoveryRouteDeps, 'setup'>;
  /** Checking what a peer holds against the manifests. */
  verify: VerifyService;
  /** Restore: browse and download a backup from a peer, restore into shares, bulk restore. */
  restore: RestoreService;
  /** API tokens (scripts, scrapers) and the Prometheus metrics they open. */
  tokens: ApiTokenService;
  metrics: ServerMetrics;
  /** Notifications by webhook and email: their settings and "Send a test". */
  notifications: { settings: NotificationSettingsStore; notifier: Pick<Notifier, 'sendTest'> };
  /** History at a glance: share sizes and bytes sent per day, free space, what peers store here. */
  stats: HistoryStats;
  /** WebDAV at /dav/: the users' Basic sign-ins and their WebDAV servers. */
  fileAccess: { signIns: BasicSignIns; servers: DavServers };
}

export interface ApiOptions {
  services: ApiServices;
  /** Read-only views the routes list directly (sync logs, shares). */
  repos: Pick<Repositories, 'shares' | 'syncLogs' | 'syncHistory' | 'users' | 'ping'>;
  /**
   * What this listener serves: `all` (one port, as by default), `ui` (the UI
   * and its API, no peer protocol) or `peer` (/health and the peer protocol).
   */
  role?: ListenerRole;
  /** The certificate this listener presents; null: plain HTTP (a UI behind a TLS-terminating proxy). */
  tls: { certPem: string; keyPem: string } | null;
  /** The identity peers pin (shown to the administrator), whatever certificate this listener presents. */
  fingerprint: string;
  /** The port peers connect to: the peer listener's, or the one port (known once listening). */
  peerPort: () => number;
  /** Proxies whose X-Forwarded-* headers are believed (fastify's trustProxy); false: none. */
  trustProxy?: TrustProxy;
  logger: Logger;
  version: string;
  /** How long a client may hold a connection without progress; tests make them short. */
  connectionBounds?: Partial<ConnectionBounds> | undefined;
}

export type ListenerRole = 'all' | 'ui' | 'peer';

/** Builds the app of one listener without listening, so tests and the CLI start it the same way. */
export async function buildApi(options: ApiOptions): Promise<AnemoneApp> {
  const role = options.role ?? 'all';
  const servesPeers = role !== 'ui';
  const servesUi = role !== 'peer';
  const app = createFastify(options, servesPeers);
  if (servesUi) addDavMethods(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  const bounds = { ...DEFAULT_CONNECTION_BOUNDS, ...options.connectionBounds };
  app.addHook('onSend', closeOnUnreadBody);
  // the API's answers are personal: never kept by a browser or proxy cache
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
  if (servesUi) await registerUiBase(app, options, bounds.webBodyTimeoutMs);
  await app.register(healthRoutes({ ping: () => options.repos.ping() }));
  // the peer protocol between the two halves of the UI's routes: the API reference keeps its order
  if (servesUi) await registerAccountAndSyncRoutes(app, options);
  if (servesPeers) await app.register(syncV1Routes({ incoming: options.services.incoming }));
  if (servesUi) await registerRecoveryAndRestoreRoutes(app, options);
  if (servesUi) await app.register(davRoutes(options.services.fileAccess));
  // last: the UI's catch-all for page paths; /api and /health keep their own routes and 404s
  if (servesUi) await app.register(webRoutes());
  return app;
}

function createFastify(options: ApiOptions, servesPeers: boolean): AnemoneApp {
  const bounds = { ...DEFAULT_CONNECTION_BOUNDS, ...options.connectionBounds };
  const common = {
    // a whole request has no time limit (peer uploads take hours); web bodies have theirs (webBodyDeadline)
    requestTimeout: 0,
    // inactivity, not total time: a transfer that keeps moving is never cut
    connectionTimeout: bounds.idleTimeoutMs,
    keepAliveTimeout: bounds.keepAliveTimeoutMs,
    loggerInstance: options.logger as FastifyBaseLogger,
    // one line per request would drown the sync's own log lines; errors are still logged
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: DEFAULT_BODY_LIMIT,
    trustProxy: fastifyTrustProxy(options.trustProxy ?? false),
  };
  if (options.tls === null) {
    // plain HTTP behind a proxy: the same app, on node:http (the routes use nothing of TLS but the peer protocol, not served here)
    return Fastify({ ...common, http: { headersTimeout: bounds.headersTimeoutMs, connectionsCheckingInterval: bounds.checkIntervalMs } }) as unknown as AnemoneApp;
  }
  return Fastify({
    ...common,
    https: {
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      // peers present their server certificate as a client certificate; it is self-signed, so the
      // TLS layer cannot judge it: the sync routes identify the source by its fingerprint instead.
      // Asked only where peers connect: a browser on the UI port is never offered a certificate picker.
      requestCert: servesPeers,
      rejectUnauthorized: false,
      handshakeTimeout: bounds.handshakeTimeoutMs,
      headersTimeout: bounds.headersTimeoutMs,
      connectionsCheckingInterval: bounds.checkIntervalMs,
    },
  });
}

/** A number of hops as the function fastify's types ask for (proxy-addr counts hops from the socket, 0 first). */
function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** What the web UI and its JSON API stand on: security headers, cookies, rate limits, the API reference, sessions. */
async function registerUiBase(app: AnemoneApp, options: ApiOptions, webBodyTimeoutMs: number): Promise<void> {
  await app.register(fastifyHelmet, {
    hsts: { maxAge: 31_536_000, includeSubDomains: false },
    frameguard: { action: 'deny' },
    noSniff: true,
    // not helmet's no-referrer: under it a browser sends `Origin: null` with a form post, even to its own
    // server, and the cross-site check refuses it (the Restore page's ZIP download is a form);
    // same-origin still sends no referrer to any other site
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    // before the body is read: a flood costs no parsing (a limit keyed on the body uses createRateLimit, see auth.ts)
    hook: 'onRequest',
    errorResponseBuilder: (_request, context) =>
      new AnemoneError('TOO_MANY_ATTEMPTS', { message: `Too many attempts from this address; try again in ${context.after}` }),
  });

  await registerOpenApi(app, options.version);

  const { services } = options;
  app.decorateRequest('user', null);
  app.addHook('onRequest', refuseCrossSite);
  app.addHook('onRequest', webBodyDeadline(webBodyTimeoutMs));
  app.addHook('onRequest', authenticateFrom(services.sessions));

  // the copies of the recovery kit on peers follow what it holds: users, peers, settings
  app.addHook('onResponse', kitRefreshOnChange(services.recovery.kits));
}

/** The UI's API, first half: setup, accounts, shares, peers, sync, schedule, dashboard, settings, incoming backups. */
async function registerAccountAndSyncRoutes(app: AnemoneApp, options: ApiOptions): Promise<void> {
  const { services } = options;
  const thisServer = { fingerprint: options.fingerprint, peerPort: options.peerPort };
  await app.register(setupRoutes(services));
  await app.register(authRoutes(services));
  await app.register(userRoutes(services));
  await app.register(shareRoutes({ shares: services.shares, syncLogs: options.repos.syncLogs }));
  await app.register(fileRoutes({ shares: services.shares, uploads: services.uploads }));
  await app.register(peerRoutes(services));
  await app.register(syncRoutes({ sync: services.sync, repos: options.repos }));
  await app.register(scheduleRoutes({ scheduler: services.scheduler }));
  await app.register(dashboardRoutes({ repos: options.repos, peers: services.peers, scheduler: services.scheduler, shares: services.shares }));
  await app.register(serverRoutes({ setup: services.setup, ...thisServer, version: options.version }));
  await app.register(syncSettingsRoutes({ settings: services.incoming.settings, ...thisServer }));
  await app.register(notificationRoutes(services.notifications));
  await app.register(incomingRoutes({ admin: services.incoming.admin }));
  await app.register(statsRoutes({ stats: services.stats }));
}

/** The UI's API, second half: the recovery kit, verification, restore. */
async function registerRecoveryAndRestoreRoutes(app: AnemoneApp, options: ApiOptions): Promise<void> {
  const { services } = options;
  await app.register(recoveryRoutes({ setup: services.setup, ...services.recovery }));
  await app.register(verifyRoutes({ verify: services.verify }));
  await app.register(restoreRoutes({ restore: services.restore }));
  await app.register(adminRestoreRoutes({ restore: services.restore }));
  await app.register(tokenRoutes({ tokens: services.tokens }));
  await app.register(metricsRoutes({ tokens: services.tokens, metrics: services.metrics }));
}

/**
 * The server's one or two listeners. By default one port serves everything
 * with one certificate, which is then also the identity peers pin. With
 * ANEMONE_PEER_PORT, peers get a listener of their own that always presents
 * this server's own certificate (certs/), so the UI's certificate
 * (TLS_CERT_PATH, or none behind a proxy) can be anything and renew freely.
 */
export interface Listeners {
  /** The UI and its API (and, with one port, the peer protocol too). */
  ui: AnemoneApp;
  /** /health and the peer protocol, when ANEMONE_PEER_PORT is set. */
  peer: AnemoneApp | undefined;
  listen(): Promise<{ url: string; port: number; peerUrl: string; peerPort: number }>;
  close(): Promise<void>;
  /** Reads TLS_CERT_PATH/TLS_KEY_PATH again and presents them to new UI connections (a renewal); what happened, in words. */
  reloadUiCertificate(): Promise<string>;
}

type SharedApiOptions = Omit<ApiOptions, 'role' | 'tls' | 'fingerprint' | 'peerPort' | 'trustProxy'>;

export async function buildListeners(config: Config, identity: ServerIdentity, api: SharedApiOptions): Promise<Listeners> {
  const separate = config.peerPort !== undefined;
  let peer: AnemoneApp | undefined;
  const peerPort = () => listeningPort(peer ?? ui) ?? (separate ? (config.peerPort as number) : config.port);
  const uiCertificate = !config.uiTls ? null : separate && config.tlsCertPath && config.tlsKeyPath ? await loadCertificatePair(config.tlsCertPath, config.tlsKeyPath) : identity;
  const ui = await buildApi({
    ...api,
    role: separate ? 'ui' : 'all',
    tls: uiCertificate,
    fingerprint: identity.fingerprint,
    peerPort,
    trustProxy: config.trustProxy,
  });
  // peers connect directly: no proxy's forwarded headers are believed on their port
  if (separate) peer = await buildApi({ ...api, role: 'peer', tls: identity, fingerprint: identity.fingerprint, peerPort });

  return {
    ui,
    peer,
    async listen() {
      await ui.listen({ port: config.port, host: config.bind });
      if (peer) await peer.listen({ port: config.peerPort, host: config.peerBind });
      const port = listeningPort(ui) as number;
      return {
        url: urlOf(config.uiTls ? 'https' : 'http', config.bind, port),
        port,
        peerUrl: urlOf('https', peer ? config.peerBind : config.bind, peerPort()),
        peerPort: peerPort(),
      };
    },
    async close() {
      await ui.close();
      await peer?.close();
    },
    async reloadUiCertificate() {
      if (!separate) return 'The certificate was not reloaded: with one port it is also this server\'s identity towards peers; restart to change it (peers then confirm the new fingerprint), or set ANEMONE_PEER_PORT';
      if (!config.uiTls) return 'No certificate to reload: the UI port speaks plain HTTP behind a proxy (ANEMONE_UI_TLS=off)';
      if (!config.tlsCertPath || !config.tlsKeyPath) return "No certificate to reload: the UI port uses this server's own certificate (TLS_CERT_PATH is not set)";
      // a pair that does not load (a renewal half-written, a key that does not match) throws, and the old one stays
      const renewed = await loadCertificatePair(config.tlsCertPath, config.tlsKeyPath);
      (ui.server as HttpsServer).setSecureContext({ cert: renewed.certPem, key: renewed.keyPem });
      return `UI certificate reloaded from ${config.tlsCertPath} (SHA-256 ${renewed.fingerprint}); peers are not affected`;
    },
  };
}

/** The port a listener was given (the real one when 0 was asked), or undefined before it listens. */
function listeningPort(app: AnemoneApp): number | undefined {
  const address = app.server.address() as AddressInfo | null;
  return address?.port;
}

function urlOf(scheme: 'http' | 'https', bind: string, port: number): string {
  const host = bind === '0.0.0.0' || bind === '::' ? 'localhost' : bind;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
