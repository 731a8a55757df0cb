import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { PasswordHashError } from '../crypto/index.js';
import { AnemoneError, type ErrorCode, errorCatalogue } from '../errors/catalogue.js';
import type { AnemoneApp } from './types.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; hint: string; fields?: { path: string; message: string }[] };
}

export function errorBody(error: AnemoneError): ErrorBody {
  return { error: { code: error.code, message: error.message, hint: error.hint } };
}

/** Status codes Fastify itself raises, mapped to catalogue codes. */
const FRAMEWORK_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'VALIDATION_FAILED',
  429: 'TOO_MANY_ATTEMPTS',
};

/** Every error leaves as `{error: {code, message, hint}}`; a stack trace never does. */
export function registerErrorHandling(app: AnemoneApp): void {
  app.setErrorHandler((error: FastifyError | AnemoneError | PasswordHashError, request, reply) => {
    if (error instanceof PasswordHashError && error.code === 'busy') error = passwordChecksBusy();
    if (error instanceof AnemoneError) {
      const retryAfterSeconds = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (error.status === 429 && typeof retryAfterSeconds === 'number') reply.header('retry-after', String(retryAfterSeconds));
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return reply.status(error.status).send(errorBody(error));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const fields = error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
        message: issue.message ?? 'is not valid',
      }));
      const body: ErrorBody = {
        error: {
          code: 'VALIDATION_FAILED',
          message: `The request is not valid: ${fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join('; ')}`,
          hint: errorCatalogue.VALIDATION_FAILED.hint,
          fields,
        },
      };
      return reply.status(400).send(body);
    }
    const status = ('statusCode' in error ? error.statusCode : undefined) ?? 500;
    const code = FRAMEWORK_STATUS_CODES[status];
    if (code && status < 500) {
      return reply.status(status).send(errorBody(new AnemoneError(code, { message: error.message })));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(errorBody(new AnemoneError('INTERNAL')));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(errorBody(new AnemoneError('NOT_FOUND', { message: `No route ${request.method} ${request.url.split('?')[0]}` })));
  });
}

/** Too many password checks already waiting (src/crypto/scrypt.ts): refused now rather than answered minutes later. */
function passwordChecksBusy(): AnemoneError {
  return new AnemoneError('TOO_MANY_ATTEMPTS', {
    message: 'This server is checking many passwords at the moment; try again in a few seconds',
    details: { retryAfterSeconds: 5 },
  });
}
