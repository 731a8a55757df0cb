import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Sending one built UI file: an ETag (If-None-Match → 304), and the brotli
 * or gzip copy `scripts/precompress-web.mjs` wrote beside it when the
 * browser accepts one (Vary: Accept-Encoding), so nothing is compressed per
 * request. Kept here rather than in @fastify/static, which is not a
 * dependency (docs/architecture.md, "The web UI").
 */

export type Encoding = 'br' | 'gzip' | 'identity';

const SUFFIX: Record<Exclude<Encoding, 'identity'>, string> = { br: '.br', gzip: '.gz' };

/**
 * The best encoding the Accept-Encoding header allows among those we have:
 * br before gzip at equal weight (smaller), a q=0 refuses one, `*` stands for
 * any not named. Without the header, identity (RFC 9110 §12.5.3).
 */
export function chooseEncoding(acceptEncoding: string | undefined, available: readonly Exclude<Encoding, 'identity'>[]): Encoding {
  if (!acceptEncoding) return 'identity';
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  let best: Encoding = 'identity';
  let bestWeight = 0;
  for (const encoding of available) {
    const weight = weights.get(encoding) ?? (encoding === 'gzip' ? weights.get('x-gzip') : undefined) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) {
      best = encoding;
      bestWeight = weight;
    }
  }
  return best;
}

/** A strong validator from the original file's size and modification time: a rebuild changes it, a read does not. */
export function etagOf(original: Stats, encoding: Encoding): string {
  const base = `${original.size.toString(16)}-${Math.floor(original.mtimeMs).toString(16)}`;
  // each representation has its own tag, so a cache never answers gzip bytes to a request for identity
  return encoding === 'identity' ? `"${base}"` : `"${base}-${encoding}"`;
}

/** If-None-Match matches when it names this tag (weak comparison, as RFC 9110 §13.1.2 asks for GET) or is `*`. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/** The compressed copy, when it exists and is not older than the file it stands for (a stale copy is never sent). */
async function variant(file: string, original: Stats, encoding: Exclude<Encoding, 'identity'>): Promise<Stats | undefined> {
  const info = await stat(file + SUFFIX[encoding]).catch(() => undefined);
  return info?.isFile() && info.mtimeMs >= original.mtimeMs ? info : undefined;
}

export async function sendStaticFile(request: FastifyRequest, reply: FastifyReply, file: string, original: Stats, headers: { contentType: string; cacheControl: string }): Promise<FastifyReply> {
  const available: Exclude<Encoding, 'identity'>[] = [];
  const variants: Partial<Record<Encoding, Stats>> = {};
  for (const encoding of ['br', 'gzip'] as const) {
    const info = await variant(file, original, encoding);
    if (info) {
      available.push(encoding);
      variants[encoding] = info;
    }
  }
  const encoding = chooseEncoding(request.headers['accept-encoding'], available);
  const etag = etagOf(original, encoding);
  reply.header('etag', etag).header('cache-control', headers.cacheControl);
  // a cache must key on Accept-Encoding only where the answer depends on it
  if (available.length > 0) reply.header('vary', 'Accept-Encoding');
  if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.status(304).send();
  const sent = encoding === 'identity' ? original : (variants[encoding] as Stats);
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  return reply
    .type(headers.contentType)
    .header('content-length', sent.size)
    .send(createReadStream(encoding === 'identity' ? file : file + SUFFIX[encoding]));
}
