import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** The HTTPS Fastify app every plugin of ours is registered on. */
export type AnemoneApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>;
