import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  DEFAULT_PEER_PORT,
  DEFAULT_PEER_TIMEOUT_MINUTES,
  fingerprintSchema,
  peerAddressSchema,
  peerNameSchema,
  peerPasswordSchema,
  peerPortSchema,
  peerTimeoutMinutesSchema,
} from '../../peers/peer-fields.js';
import { uploadLimitKiBpsSchema, uploadWindowsSchema, WEEKDAYS } from '../../peers/upload-limit.js';
import type { PeerService } from '../../peers/peer-service.js';
import type { SyncService } from '../../sync/sync-service.js';
import { requireAdmin } from '../session.js';

/** The password is write-only: the answer says whether one is set, never what it is. */
const peerSchema = z.object({
  id: z.number(),
  name: z.string(),
  address: z.string(),
  port: z.number(),
  passwordSet: z.boolean(),
  enabled: z.boolean(),
  timeoutMinutes: z.number(),
  fingerprint: z.string().nullable(),
  uploadLimitKiBps: z.number().nullable().describe('KiB/s when no timetable window is in force; null: no limit'),
  uploadWindows: z
    .array(
      z.object({
        days: z.array(z.enum(WEEKDAYS)),
        start: z.string(),
        end: z.string(),
        mode: z.enum(['limit', 'unlimited', 'paused']),
        limitKiBps: z.number().optional(),
      }),
    )
    .describe('weekly windows, local time; the first that covers a moment decides its limit'),
  remoteServerName: z.string().nullable(),
  status: z.string().nullable(),
  statusMessage: z.string().nullable(),
  lastContactAt: z.string().nullable(),
  lastSeenAt: z.string().nullable().describe('the last time the peer answered: the background health check (about every minute), a sync or a Test Connection'),
  createdAt: z.string(),
});

const testResultSchema = z.object({
  ok: z.boolean(),
  outcome: z.string(),
  message: z.string(),
  hint: z.string(),
  serverName: z.string().optional(),
  fingerprint: z.string().optional(),
  retryAfterSeconds: z.number().optional(),
});

/** Test Connection waits this long by default; a form may ask for less or more. */
const timeoutSecondsSchema = z.number().int().min(1).max(120).optional();

const createBody = z.object({
  name: peerNameSchema,
  address: peerAddressSchema,
  port: peerPortSchema.default(DEFAULT_PEER_PORT),
  password: peerPasswordSchema.optional(),
  enabled: z.boolean().default(true),
  timeoutMinutes: peerTimeoutMinutesSchema.default(DEFAULT_PEER_TIMEOUT_MINUTES),
  fingerprint: fingerprintSchema.nullable().default(null),
  uploadLimitKiBps: uploadLimitKiBpsSchema.nullable().default(null),
  uploadWindows: uploadWindowsSchema.default([]),
});

const patchBody = z.object({
  name: peerNameSchema.optional(),
  address: peerAddressSchema.optional(),
  port: peerPortSchema.optional(),
  password: peerPasswordSchema.nullable().optional(),
  enabled: z.boolean().optional(),
  timeoutMinutes: peerTimeoutMinutesSchema.optional(),
  fingerprint: fingerprintSchema.nullable().optional(),
  uploadLimitKiBps: uploadLimitKiBpsSchema.nullable().optional(),
  uploadWindows: uploadWindowsSchema.optional(),
});

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
    app.get('/api/admin/peers', { preHandler: requireAdmin, schema: { response: { 200: z.object({ peers: z.array(peerSchema) }) } } }, async () => ({
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
        schema: { params: idParams, body: z.object({ timeoutSeconds: timeoutSecondsSchema }).nullish(), response: { 200: testResultSchema } },
      },
      async (request) => deps.peers.test(request.params.id, timeoutOption(request.body?.timeoutSeconds)),
    );

    app.post(
      '/api/admin/peers/test',
      { preHandler: requireAdmin, schema: { body: unsavedTestBody, response: { 200: testResultSchema } } },
      async (request) => {
        const { timeoutSeconds, ...form } = request.body;
        return deps.peers.testUnsaved(form, timeoutOption(timeoutSeconds));
      },
    );
  };
}
