import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sendStaticFile } from '../static-file.js';

/**
 * The web UI: the files `npm run build` writes to dist/web/ (vite build of
 * src/web), and index.html for every other page path, since the browser app
 * picks the page from the path. /api and /health stay the API's: an unknown
 * /api path is the API's JSON 404, never the UI.
 */

/** dist/web/ of this checkout: three levels up from src/api/routes/ and from dist/api/routes/ alike. */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../../dist/web/', import.meta.url));
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Anemone</title>
<body><h1>The web UI is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>), then reload this page.
The API answers under <code>/api/</code> meanwhile.</p></body></html>`;

/** The file under `root` a URL path names, or null when it would leave `root` or names a hidden file. */
export function fileForUrlPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((segment) => segment.startsWith('.'))) return null;
  const file = path.resolve(root, ...segments);
  return file.startsWith(path.resolve(root) + path.sep) ? file : null;
}

async function fileStats(file: string): Promise<Stats | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? info : undefined;
}

function sendFile(request: FastifyRequest, reply: FastifyReply, file: string, info: Stats, cacheControl: string): Promise<FastifyReply> {
  const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  return sendStaticFile(request, reply, file, info, { contentType, cacheControl });
}

export function webRoutes(deps: { root?: string } = {}): FastifyPluginAsyncZod {
  const root = deps.root ?? defaultWebRoot();
  return async (app) => {
    // not part of the API reference: these are the UI's pages and files
    app.get('/*', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const urlPath = request.url.split('?')[0] ?? '/';
      if (urlPath === '/api' || urlPath.startsWith('/api/')) return reply.callNotFound();
      const file = fileForUrlPath(root, urlPath);
      const info = file ? await fileStats(file) : undefined;
      if (file && info) {
        // Vite names the files under assets/ by their content hash: they never change
        const immutable = urlPath.startsWith('/assets/');
        return sendFile(request, reply, file, info, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      }
      // a missing file (an old asset, a typo) is a 404; any other path is a page of the app
      if (path.extname(urlPath) !== '') return reply.callNotFound();
      const index = path.join(root, 'index.html');
      const indexInfo = await fileStats(index);
      if (!indexInfo) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      // no-cache: the browser asks again each time, and the ETag makes that a 304
      return sendFile(request, reply, index, indexInfo, 'no-cache');
    });
  };
}
