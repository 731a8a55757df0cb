import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { keyEnteredSchema, keyStatusSchema } from '../../contract/accounts.js';
import { peerIdentitySchema, rebuildFromKitSchema, rebuildFromPeerSchema, rebuildResultSchema, recoveryKitStatusSchema } from '../../contract/recovery.js';
import { serverNameSchema } from '../../accounts/names.js';
import type { SetupService } from '../../accounts/setup-service.js';
import { AnemoneError } from '../../errors/catalogue.js';
import { DEFAULT_PEER_PORT, fingerprintSchema, peerAddressSchema, peerPasswordSchema, peerPortSchema } from '../../peers/peer-fields.js';
import { MIN_PASSPHRASE_LENGTH } from '../../recovery/kit-envelope.js';
import type { RecoveryKitService } from '../../recovery/kit-service.js';
import type { RebuildService } from '../../recovery/rebuild-service.js';
import type { UserKeyEntry } from '../../recovery/user-key-entry.js';
import { currentUser, requireAdmin, requireUser } from '../session.js';

export interface RecoveryRouteDeps {
  setup: Pick<SetupService, 'isSetUp'>;
  kits: RecoveryKitService;
  rebuild: RebuildService;
  keys: UserKeyEntry;
}

/** A kit in base64 inside JSON: the kit is at most 16 MiB, so its base64 fits in this. */
const KIT_BODY_LIMIT = 24 * 1024 * 1024;
/** Kits read at once before setup (anyone may send one then): memory for two, not for a flood. */
const KITS_READ_AT_ONCE = 2;

// the contract's two forms, with the kit's size, the server name, the peer's address and fingerprint checked as only the server can
const restoreBody = z.union([
  rebuildFromKitSchema.extend({ kit: z.string().min(1).max(KIT_BODY_LIMIT) }),
  rebuildFromPeerSchema.extend({
    serverName: serverNameSchema,
    peer: z.object({ address: peerAddressSchema, port: peerPortSchema.default(DEFAULT_PEER_PORT), password: peerPasswordSchema, fingerprint: fingerprintSchema }),
  }),
]);

const idParams = z.object({ id: z.coerce.number().int().positive() });

/**
 * Disaster recovery over HTTP: the server recovery kit (administrator), the
 * first-run rebuild from a kit or a peer (anyone, only while not set up),
 * and, without a kit, a user entering the key they kept.
 */
export function recoveryRoutes(deps: RecoveryRouteDeps): FastifyPluginAsyncZod {
  const requireNotSetUp = async () => {
    if (deps.setup.isSetUp()) throw new AnemoneError('ALREADY_SET_UP');
  };
  let kitsBeingRead = 0;
  const fewKitsAtOnce = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (kitsBeingRead >= KITS_READ_AT_ONCE) {
      throw new AnemoneError('TOO_MANY_ATTEMPTS', {
        message: 'Other recovery kits are being read; try again once they are done',
        details: { retryAfterSeconds: 10 },
      });
    }
    kitsBeingRead += 1;
    reply.raw.once('close', () => {
      kitsBeingRead -= 1;
    });
  };
  return async (app) => {
    app.post(
      '/api/admin/recovery-kit',
      {
        preHandler: requireAdmin,
        config: { rateLimit: { max: 10, timeWindow: 60_000 } },
        schema: { body: z.object({ passphrase: z.string().min(MIN_PASSPHRASE_LENGTH, `Use at least ${MIN_PASSPHRASE_LENGTH} characters`).max(1024) }) },
      },
      async (request, reply) => {
        const { sealed, fileName } = await deps.kits.create(request.body.passphrase);
        return reply
          .type('application/octet-stream')
          .header('content-disposition', `attachment; filename="${fileName}"`)
          .header('cache-control', 'no-store')
          .send(sealed);
      },
    );

    app.get('/api/admin/recovery-kit', { preHandler: requireAdmin, schema: { response: { 200: recoveryKitStatusSchema } } }, async () => deps.kits.status());

    app.post('/api/admin/recovery-kit/push', { preHandler: requireAdmin, schema: { response: { 200: recoveryKitStatusSchema } } }, async () => {
      if (!deps.kits.status().configured) throw new AnemoneError('KIT_NOT_CONFIGURED');
      return deps.kits.pushToPeers();
    });

    app.post(
      '/api/setup/restore/discover',
      {
        onRequest: requireNotSetUp,
        config: { rateLimit: { max: 10, timeWindow: 60_000 } },
        schema: {
          body: z.object({ address: peerAddressSchema, port: peerPortSchema.default(DEFAULT_PEER_PORT) }),
          response: { 200: peerIdentitySchema },
        },
      },
      async (request) => deps.rebuild.discover(request.body),
    );

    app.post(
      '/api/setup/restore',
      {
        // before the body is read: once set up, a 24 MiB kit is refused unread
        onRequest: [requireNotSetUp, fewKitsAtOnce],
        bodyLimit: KIT_BODY_LIMIT + 64 * 1024,
        // the largest kit takes minutes over a slow link
        config: { rateLimit: { max: 10, timeWindow: 60_000 }, bodyTimeoutMs: 15 * 60_000 },
        schema: { body: restoreBody, response: { 200: rebuildResultSchema } },
      },
      async (request) => {
        const body = request.body;
        const summary =
          'kit' in body
            ? await deps.rebuild.fromKit(decodeKit(body.kit), body.passphrase)
            : await deps.rebuild.fromPeer({ peer: body.peer, serverName: body.serverName, passphrase: body.passphrase });
        request.log.warn({ serverName: summary.serverName, users: summary.users.length, peers: summary.peers.length }, 'server rebuilt from its recovery kit; restart it');
        return {
          ...summary,
          restartRequired: true,
          message: `Server "${summary.serverName}" is restored. Restart it so it presents its restored certificate, sign in, and run a bulk restore from a peer; then switch automatic sync back on (it is off until then).`,
        };
      },
    );

    app.post('/api/admin/users/:id/awaiting-key', { preHandler: requireAdmin, schema: { params: idParams, response: { 200: keyStatusSchema } } }, async (request) =>
      deps.keys.requestKey(request.params.id),
    );

    app.delete('/api/admin/users/:id/awaiting-key', { preHandler: requireAdmin, schema: { params: idParams, response: { 200: keyStatusSchema } } }, async (request) =>
      deps.keys.cancelRequest(request.params.id),
    );

    app.get('/api/restore/key', { preHandler: requireUser, schema: { response: { 200: keyStatusSchema } } }, async (request) => deps.keys.status(currentUser(request).id));

    app.post(
      '/api/restore/key',
      {
        preHandler: requireUser,
        config: { rateLimit: { max: 10, timeWindow: 60_000 } },
        schema: {
          body: z.object({ encryptionKey: z.string().min(1).max(100) }),
          response: { 200: keyEnteredSchema },
        },
      },
      async (request) => deps.keys.enterKey(currentUser(request).id, request.body.encryptionKey),
    );
  };
}

/** Administrators' changes that a recovery kit carries: after one, the copies on peers are refreshed. */
const KIT_CHANGES = [/^\/api\/admin\/users(\/|$|\?)/, /^\/api\/admin\/peers(\/|$|\?)/, /^\/api\/activate(\/|$|\?)/, /^\/api\/admin\/settings\/sync(\/|$|\?)/, /^\/api\/admin\/sync\/config(\/|$|\?)/, /^\/api\/restore\/key(\/|$|\?)/];

/** An onResponse hook for the root app: a successful change to what the kit holds schedules a refresh of the peers' copies. */
export function kitRefreshOnChange(kits: Pick<RecoveryKitService, 'scheduleRefresh'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method === 'GET' || request.method === 'HEAD' || reply.statusCode >= 400) return;
    if (KIT_CHANGES.some((pattern) => pattern.test(request.url))) kits.scheduleRefresh();
  };
}

function decodeKit(base64: string): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new AnemoneError('KIT_INVALID', { message: 'The kit is not base64' });
  return bytes;
}
