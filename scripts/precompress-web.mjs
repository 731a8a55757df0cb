// After `vite build src/web`: writes a brotli (.br) and a gzip (.gz) copy
// beside each text file of dist/web/, for the server to send to browsers that
// accept them (src/api/routes/web.ts), so nothing is compressed per request.
// node:zlib only: no build dependency. Usage: node scripts/precompress-web.mjs [dir]
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.map']);
/** Below this, the headers weigh more than what compression saves. */
const MIN_BYTES = 1024;

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

export async function precompress(root) {
  let written = 0;
  for await (const file of files(root)) {
    if (!COMPRESSIBLE.has(path.extname(file).toLowerCase())) continue;
    if ((await stat(file)).size < MIN_BYTES) continue;
    const content = await readFile(file);
    const variants = {
      '.br': await brotli(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: content.length } }),
      '.gz': await gzip(content, { level: 9 }),
    };
    for (const [suffix, compressed] of Object.entries(variants)) {
      // a variant that saves nothing is not worth a second file
      if (compressed.length >= content.length) continue;
      await writeFile(file + suffix, compressed);
      written++;
    }
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'web'));
  const written = await precompress(root);
  console.log(`precompressed ${written} files in ${root}`);
}
