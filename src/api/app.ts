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
import { DEFAULT_BODY_LIMIT } from './body-limits.js';
import { type ConnectionBounds, DEFAULT_CONNECTION_BOUNDS, closeOnUnreadBody, webBodyDeadline } from './connection-bounds.js';
import { refuseCrossSite } from './cross-site.js';
import { registerErrorHandling } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { authRoutes } from './routes/auth.js';
import { dashboardRoutes } from './routes/dashboard.js';
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
import { syncRoutes } from './routes/sync.js';
import { syncSettingsRoutes } from './routes/sync-settings.js';
import { syncV1Routes } from './routes/sync-v1.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { webRoutes } from './routes/web.js';
import { authenticateFrom } from './session.js';
import type { AnemoneApp } from './types.js';

/** What the HTTP layer needs; it holds no logic of its own. */
export interface ApiServices {
  setup: SetupService;
  sessions: SessionService;
  users: UserService;
  shares: ShareService;
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
}

export interface ApiOptions {
  services: ApiServices;
  /** Read-only views the routes list directly (sync logs, shares). */
  repos: Pick<Repositories, 'shares' | 'syncLogs' | 'users' | 'ping'>;
  tls: { certPem: string; keyPem: string; fingerprint: string };
  logger: Logger;
  version: string;
  /** How long a client may hold a connection without progress; tests make them short. */
  connectionBounds?: Partial<ConnectionBounds> | undefined;
}

/** Builds the HTTPS app without listening, so tests and the CLI start it the same way. */
export async function buildApi(options: ApiOptions): Promise<AnemoneApp> {
  const bounds = { ...DEFAULT_CONNECTION_BOUNDS, ...options.connectionBounds };
  const app = Fastify({
    https: {
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      // peers present their server certificate as a client certificate; it is self-signed, so the
      // TLS layer cannot judge it: the sync routes identify the source by its fingerprint instead
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: bounds.handshakeTimeoutMs,
      headersTimeout: bounds.headersTimeoutMs,
      connectionsCheckingInterval: bounds.checkIntervalMs,
    },
    // a whole request has no time limit (peer uploads take hours); web bodies have theirs (webBodyDeadline)
    requestTimeout: 0,
    // inactivity, not total time: a transfer that keeps moving is never cut
    connectionTimeout: bounds.idleTimeoutMs,
    keepAliveTimeout: bounds.keepAliveTimeoutMs,
    loggerInstance: options.logger as FastifyBaseLogger,
    // one line per request would drown the sync's own log lines; errors are still logged
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: DEFAULT_BODY_LIMIT,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

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
  app.addHook('onRequest', webBodyDeadline(bounds.webBodyTimeoutMs));
  app.addHook('onSend', closeOnUnreadBody);
  app.addHook('onRequest', authenticateFrom(services.sessions));
  // the API's answers are personal: never kept by a browser or proxy cache
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });

  // the copies of the recovery kit on peers follow what it holds: users, peers, settings
  app.addHook('onResponse', kitRefreshOnChange(services.recovery.kits));

  await app.register(healthRoutes({ ping: () => options.repos.ping() }));
  await app.register(setupRoutes(services));
  await app.register(authRoutes(services));
  await app.register(userRoutes(services));
  await app.register(shareRoutes({ shares: services.shares, syncLogs: options.repos.syncLogs }));
  await app.register(peerRoutes(services));
  await app.register(syncRoutes({ sync: services.sync, repos: options.repos }));
  await app.register(scheduleRoutes({ scheduler: services.scheduler }));
  await app.register(dashboardRoutes({ repos: options.repos, peers: services.peers }));
  await app.register(serverRoutes({ setup: services.setup, fingerprint: options.tls.fingerprint, version: options.version }));
  await app.register(syncSettingsRoutes({ settings: services.incoming.settings, fingerprint: options.tls.fingerprint }));
  await app.register(notificationRoutes(services.notifications));
  await app.register(incomingRoutes({ admin: services.incoming.admin }));
  await app.register(syncV1Routes({ incoming: services.incoming }));
  await app.register(recoveryRoutes({ setup: services.setup, ...services.recovery }));
  await app.register(verifyRoutes({ verify: services.verify }));
  await app.register(restoreRoutes({ restore: services.restore }));
  await app.register(adminRestoreRoutes({ restore: services.restore }));
  await app.register(tokenRoutes({ tokens: services.tokens }));
  await app.register(metricsRoutes({ tokens: services.tokens, metrics: services.metrics }));
  // last: the UI's catch-all for page paths; /api and /health keep their own routes and 404s
  await app.register(webRoutes());
  return app;
}
