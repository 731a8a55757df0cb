import { PassThrough, type Readable } from 'node:stream';
import type { z } from 'zod';
import { peerErrorFrom, type MappingContext } from './error-mapping.js';
import { PeerError } from './peer-error.js';

/**
 * Reading what a peer sends, bounded: a peer is authenticated but not
 * trusted with this server's memory, so no answer is buffered past a limit.
 */
export async function readCapped(body: Readable, maxBytes: number, context: MappingContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      const bytes = chunk as Buffer;
      total += bytes.length;
      if (total > maxBytes) {
        body.destroy();
        throw new PeerError('protocol-error', { ...context, detail: `the answer is larger than ${maxBytes} bytes` });
      }
      chunks.push(bytes);
    }
  } catch (error) {
    throw peerErrorFrom(error, context);
  }
  return Buffer.concat(chunks, total);
}

const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** The answer's JSON, checked against the protocol's schema. */
export async function readJson<T extends z.ZodType>(body: Readable, schema: T, context: MappingContext): Promise<z.infer<T>> {
  const bytes = await readCapped(body, MAX_JSON_BYTES, context);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new PeerError('protocol-error', { ...context, detail: 'the answer is not JSON' });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PeerError('protocol-error', {
      ...context,
      detail: `the answer does not match protocol v1${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}`,
    });
  }
  return parsed.data;
}

const MAX_ERROR_BYTES = 64 * 1024;

/** The `{error:{code,message}}` of a refusal, or undefined when the body is something else. */
export async function readErrorBody(body: Readable): Promise<{ code?: string; message?: string } | undefined> {
  try {
    const bytes = await readCapped(body, MAX_ERROR_BYTES, {});
    const value = JSON.parse(bytes.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    const error = value?.error;
    if (!error || typeof error !== 'object') return undefined;
    return {
      ...(typeof error.code === 'string' ? { code: error.code } : {}),
      ...(typeof error.message === 'string' ? { message: error.message } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Empties an answer we do not need, so the connection can carry the next request. */
export async function discard(body: Readable): Promise<void> {
  try {
    for await (const _chunk of body) {
      // nothing to keep
    }
  } catch {
    // the answer was already complete as far as we care
  }
}

/** The body as a stream whose errors are PeerErrors, like every other failure of the client. */
export function withPeerErrors(body: Readable, context: MappingContext): Readable {
  const out = new PassThrough();
  body.on('error', (error) => out.destroy(peerErrorFrom(error, context)));
  // a reader who stops early must not leave the peer's answer half-read on an open socket
  out.on('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(out);
  return out;
}
