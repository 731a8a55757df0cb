// Writes docs/openapi.json from the route schemas of a real server build: `npm run openapi`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The OpenAPI document as the server generates it, from a throwaway data directory. */
export async function generateOpenApi(): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'anemone-openapi-'));
  try {
    const server = await createServer(loadConfig({}, { dataDir, port: 0, bind: '127.0.0.1', logLevel: 'error' }));
    await server.app.ready();
    const document = server.app.swagger();
    await server.stop();
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const target = path.join(repoRoot, 'docs', 'openapi.json');
  await writeFile(target, await generateOpenApi());
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
