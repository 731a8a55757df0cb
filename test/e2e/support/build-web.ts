import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REPO_ROOT } from '../../helpers/cli.js';

const WEB_SOURCE = path.join(REPO_ROOT, 'src', 'web');
const WEB_BUILT = path.join(REPO_ROOT, 'dist', 'web', 'index.html');
/** Test files run two at a time: one builds, the others wait for it. */
const LOCK = path.join(REPO_ROOT, 'dist', '.web-build.lock');
const STALE_LOCK_MS = 3 * 60_000;

async function newestMtime(dir: string): Promise<number> {
  let newest = (await stat(dir)).mtimeMs;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(full) : (await stat(full)).mtimeMs);
  }
  return newest;
}

async function isFresh(): Promise<boolean> {
  const built = await stat(WEB_BUILT).catch(() => undefined);
  if (built === undefined || built.mtimeMs < (await newestMtime(WEB_SOURCE))) return false;
  // a build from before the precompression step has no .br copies: build again
  const assets = await readdir(path.join(path.dirname(WEB_BUILT), 'assets')).catch(() => []);
  return assets.some((name) => name.endsWith('.br'));
}

function run(what: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (${code}): ${stderr}`))));
  });
}

/** What `npm run build` does for the UI: vite, then the brotli and gzip copies the server sends. */
async function viteBuild(): Promise<void> {
  await run('vite build', [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'src/web', '--logLevel', 'warn']);
  await run('precompress', [path.join(REPO_ROOT, 'scripts', 'precompress-web.mjs')]);
}

async function takeLock(): Promise<boolean> {
  await mkdir(path.dirname(LOCK), { recursive: true });
  try {
    await mkdir(LOCK);
    return true;
  } catch {
    const since = await stat(LOCK).then((info) => Date.now() - info.mtimeMs, () => 0);
    if (since > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true });
    return false;
  }
}

/**
 * Builds the UI into dist/web/ when it is missing or older than src/web/, so
 * `npm test` on a clean clone drives the UI the source describes.
 */
export async function ensureWebBuilt(): Promise<void> {
  for (;;) {
    if (await isFresh()) return;
    if (await takeLock()) {
      try {
        if (!(await isFresh())) await viteBuild();
        return;
      } finally {
        await rmdir(LOCK).catch(() => undefined);
      }
    }
    await delay(250);
  }
}
