import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The program `name` beside the module at `moduleUrl` (`import.meta.url`):
 * its `.js` when the server runs from dist/, its `.ts` when it runs from the
 * sources (the tests, the bench through tsx).
 */
export function programBeside(moduleUrl: string, name: string): URL {
  return new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);
}

/**
 * Starts a thread on one of the project's programs. dist/ runs the compiled
 * program as is; a `.ts` program needs tsx in the thread too, which Node 20
 * does not carry into a worker from `--import tsx`, so a one-line bootstrap
 * registers it first.
 */
export function startWorker(entry: URL, options: WorkerOptions): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
