import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { BasicSignIns } from '../../accounts/basic-sign-ins.js';
import type { UserRow } from '../../db/index.js';
import { AnemoneError } from '../../errors/catalogue.js';
import { DAV_ROOT, type DavServers } from '../../file-access/dav-servers.js';
import { clientAddressKey } from '../client-address.js';
import { SignInSlots } from '../sign-in-slots.js';
import type { AnemoneApp } from '../types.js';
import { LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE, LOGIN_ATTEMPTS_PER_MINUTE, SIGN_INS_CHECKED_AT_ONCE_PER_ADDRESS, refuseOverLimit } from './auth.js';

/** WebDAV's own methods, beyond what fastify routes by default; `true`: it may carry a body (XML). */
const DAV_METHODS_ADDED = { PROPFIND: true, PROPPATCH: true, MKCOL: true, LOCK: true, COPY: false, MOVE: false, UNLOCK: false } as const;
const DAV_METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', ...Object.keys(DAV_METHODS_ADDED)];
/** The library reads a PROPFIND, PROPPATCH or LOCK body whole, into a buffer of the announced length: bounded here. PUT streams. */
const XML_BODY_LIMIT = 1024 * 1024;
const CHALLENGE = 'Basic realm="Anemone", charset="UTF-8"';

/** `Authorization: Basic base64(username:password)`, as UTF-8 (the charset the challenge asks for). */
const basicCredentials = z
  .string()
  .regex(/^Basic [A-Za-z0-9+/]+={0,2}$/i)
  .transform((header) => Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8'))
  .pipe(z.string().regex(/^[^:]+:.+$/s))
  .transform((pair) => ({ username: pair.slice(0, pair.indexOf(':')), password: pair.slice(pair.indexOf(':') + 1) }))
  .pipe(z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }));

/** fastify routes only the methods it knows; WebDAV's are added once on the root app, before the routes. */
export function addDavMethods(app: AnemoneApp): void {
  for (const [method, hasBody] of Object.entries(DAV_METHODS_ADDED)) app.addHttpMethod(method, { hasBody });
}

/**
 * WebDAV at /dav/ (PRODUCT.md §10): a user's `backup` and `data` folders,
 * signed in with their own account over HTTP Basic on TLS only. A session
 * cookie alone is never enough (a page of another site could otherwise
 * make the browser write files). Failed sign-ins count like the login's,
 * per address and account and per address; a recently verified password is
 * not hashed again (accounts/basic-sign-ins.ts).
 */
export function davRoutes(deps: { signIns: BasicSignIns; servers: DavServers }): FastifyPluginAsync {
  return async (app) => {
    // the body stays unread: the library streams an upload to disk itself, and fastify's body limit would not apply to it anyway
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const slots = new SignInSlots(SIGN_INS_CHECKED_AT_ONCE_PER_ADDRESS);
    const perAddress = app.createRateLimit({
      max: LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: (request) => `dav|${clientAddressKey(request.ip)}`,
    });
    const perAccount = app.createRateLimit({
      max: LOGIN_ATTEMPTS_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: (request) => `dav|${clientAddressKey(request.ip)}|${credentialsOf(request)?.username ?? ''}`,
    });
    const tooMany = (seconds: number) => `Too many sign-in attempts for file access from this address; try again in ${seconds} s`;
    const limits = [refuseOverLimit(perAddress, tooMany), refuseOverLimit(perAccount, tooMany)];

    async function signIn(request: FastifyRequest, reply: FastifyReply): Promise<UserRow> {
      reply.header('www-authenticate', CHALLENGE);
      const credentials = credentialsOf(request);
      if (!credentials) {
        throw new AnemoneError('NOT_AUTHENTICATED', { message: 'File access needs your Anemone username and password', hint: 'Connect with the username and password you sign in with.' });
      }
      const { username, password } = credentials;
      const user = deps.signIns.remembered(username, password);
      if (user) return user;
      // the same pair already being hashed (a client's parallel connections) is one attempt, not several
      if (!deps.signIns.isBeingChecked(username, password)) for (const limit of limits) await limit(request);
      return slots.run(clientAddressKey(request.ip), () => deps.signIns.verify(username, password));
    }

    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      if (request.protocol !== 'https') {
        throw new AnemoneError('FORBIDDEN', {
          message: 'File access is served over HTTPS only: the password travels with every request',
          hint: 'Connect to the https:// address shown on the My backup page.',
        });
      }
      const user = await signIn(request, reply);
      refuseLargeXmlBody(request);
      refuseForeignDestination(request);
      // loaded before the reply is handed over, so that a library that cannot load is answered as any error
      const serve = await deps.servers.forUser(user);
      reply.removeHeader('www-authenticate');
      reply.hijack();
      serve(request.raw, reply.raw);
    };

    // Windows' WebDAV client asks the server's root what it speaks before it opens /dav/; no sign-in, nothing served
    app.options('/', { schema: { hide: true } }, async (_request, reply) => {
      reply.header('dav', '1,2').header('ms-author-via', 'DAV').header('allow', 'OPTIONS, GET, HEAD');
      return reply.status(200).send();
    });

    const route = { method: DAV_METHODS, handler, exposeHeadRoute: false, config: { streamsBody: true }, schema: { hide: true } };
    app.route({ ...route, url: DAV_ROOT });
    app.route({ ...route, url: `${DAV_ROOT}/*` });
  };
}

function credentialsOf(request: FastifyRequest): { username: string; password: string } | undefined {
  const parsed = basicCredentials.safeParse(request.headers.authorization);
  return parsed.success ? parsed.data : undefined;
}

function refuseLargeXmlBody(request: FastifyRequest): void {
  if (request.method === 'PUT') return;
  if (Number(request.headers['content-length'] ?? 0) > XML_BODY_LIMIT) {
    throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `A ${request.method} body may be at most ${XML_BODY_LIMIT} bytes` });
  }
}

/** COPY and MOVE name their target in a header: it must be under /dav/ of this server, never another path of it. */
function refuseForeignDestination(request: FastifyRequest): void {
  const destination = request.headers.destination;
  if (destination === undefined) return;
  let pathname: string;
  try {
    pathname = new URL(String(destination), 'https://destination.invalid').pathname;
  } catch {
    pathname = '';
  }
  if (!pathname.startsWith(`${DAV_ROOT}/`)) {
    throw new AnemoneError('VALIDATION_FAILED', { message: `The Destination ${String(destination).slice(0, 200)} is not under ${DAV_ROOT}/ on this server` });
  }
  // the library decodes it deep in a callback, where a malformed escape would be thrown past every handler
  try {
    decodeURIComponent(pathname);
  } catch {
    throw new AnemoneError('VALIDATION_FAILED', { message: `The Destination ${String(destination).slice(0, 200)} is not a valid address (a malformed % escape)` });
  }
}
