import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.js';
import type { UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';

export const SESSION_COOKIE = 'anemone_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by `authenticate` from the session cookie. */
    user: UserRow | null;
  }
}

export function sessionToken(request: FastifyRequest): string | undefined {
  return request.cookies[SESSION_COOKIE];
}

/** HttpOnly, Secure, SameSite=Strict; persistent only when "remember me" was ticked. */
export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date, remember: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    ...(remember ? { expires: expiresAt } : {}),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}

export function authenticateFrom(sessions: SessionService) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = sessionToken(request);
    request.user = token ? (sessions.authenticate(token) ?? null) : null;
  };
}

export async function requireUser(request: FastifyRequest): Promise<void> {
  if (!request.user) throw new AnemoneError('NOT_AUTHENTICATED');
}

export async function requireAdmin(request: FastifyRequest): Promise<void> {
  if (!request.user) throw new AnemoneError('NOT_AUTHENTICATED');
  if (!request.user.isAdmin) throw new AnemoneError('FORBIDDEN', { message: 'This needs an administrator account' });
}

/** The signed-in user in a handler behind `requireUser`. */
export function currentUser(request: FastifyRequest): UserRow {
  if (!request.user) throw new AnemoneError('NOT_AUTHENTICATED');
  return request.user;
}
