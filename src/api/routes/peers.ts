import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { peerInputSchema, peerListSchema, peerPatchSchema, peerSchema, testConnectionResultSchema } from '../../contract/peers.js';
import { DEFAULT_PEER_PORT, fingerprintSchema, peerAddressSchema, peerPasswordSchema, peerPortSchema } from '../../peers/peer-fields.js';
import type { PeerService } from '../../peers/peer-service.js';
import type { SyncService } from '../../sync/sync-service.js';
import { requireAdmin } from '../session.js';

/** Test Connection waits this long by default; a form may ask for less or more. */
const timeoutSecondsSchema = z.number().int().min(1).max(120).optional();

// the contract's fields, with the address and fingerprint checked and normalised as only the server can
const createBody = peerInputSchema.extend({ address: peerAddressSchema, fingerprint: fingerprintSchema.nullable().default(null) });
const patchBody = peerPatchSchema.extend({ address: peerAddressSchema.optional(), fingerprint: fingerprintSchema.nullable().optional() });

const unsavedTestBody = z.object({
  address: peerAddressSchema,
  port: peerPortSchema.default(DEFAULT_PEER_PORT),
  password: peerPasswordSchema.optional(),
  fingerprint: fingerprintSchema.nullable().optional(),
  /** The peer being edited: its stored password is used if the form leaves it out. */
  peerId: z.number().int().positive().optional(),
  timeoutSeconds: timeoutSecondsSchema,
});

const idParams = z.object({ id: z.coerce.number().int().positive() });

function timeoutOption(timeoutSeconds: number | undefined): { timeoutMs?: number } {
  return timeoutSeconds === undefined ? {} : { timeoutMs: timeoutSeconds * 1000 };
}

export function peerRoutes(deps: { peers: PeerService; sync: Pick<SyncService, 'stopRunsToPeer'> }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/admin/peers', { preHandler: requireAdmin, schema: { response: { 200: peerListSchema } } }, async () => ({
      peers: deps.peers.list(),
    }));

    app.post('/api/admin/peers', { preHandler: requireAdmin, schema: { body: createBody, response: { 201: peerSchema } } }, async (request, reply) =>
      reply.status(201).send(deps.peers.create(request.body)),
    );

    app.patch(
      '/api/admin/peers/:id',
      { preHandler: requireAdmin, schema: { params: idParams, body: patchBody, response: { 200: peerSchema } } },
      async (request) => {
        const updated = deps.peers.update(request.params.id, request.body);
        if (request.body.enabled === false) deps.sync.stopRunsToPeer(updated.id, 'disabled');
        return updated;
      },
    );

    app.delete('/api/admin/peers/:id', { preHandler: requireAdmin, schema: { params: idParams } }, async (request, reply) => {
      // the runs stop first: a run must not write its progress against a peer row that is gone
      deps.sync.stopRunsToPeer(request.params.id, 'deleted');
      deps.peers.delete(request.params.id);
      return reply.status(204).send();
    });

    app.post(
      '/api/admin/peers/:id/test',
      {
        preHandler: requireAdmin,
        schema: { params: idParams, body: z.object({ timeoutSeconds: timeoutSecondsSchema }).nullish(), response: { 200: testConnectionResultSchema } },
      },
      async (request) => deps.peers.test(request.params.id, timeoutOption(request.body?.timeoutSeconds)),
    );

    app.post(
      '/api/admin/peers/test',
      { preHandler: requireAdmin, schema: { body: unsavedTestBody, response: { 200: testConnectionResultSchema } } },
      async (request) => {
        const { timeoutSeconds, ...form } = request.body;
        return deps.peers.testUnsaved(form, timeoutOption(timeoutSeconds));
      },
    );
  };
}
