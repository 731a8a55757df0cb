import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { ApiClient, expectStatus } from './api.js';
import type { Cleanup } from './cleanup.js';
import { freePort } from '../../test/helpers/child-server.js';
import { procStatusKb, RssSampler } from './memory.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchServer {
  name: string;
  dataDir: string;
  port: number;
  url: string;
  pid: number;
  process: ChildProcess;
  rss: RssSampler;
  logPath: string;
  /** A client with its own cookie jar. */
  client(): ApiClient;
  /** Peak resident memory of the whole life of the process (VmHWM), read now. */
  hwmKb(): number | undefined;
  /** SIGTERM and wait (a clean exit writes --cpu-prof profiles); SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * `anemone serve` in its own process (the real CLI, as test/helpers/child-server.ts
 * starts it), at log level info so the log has "sync started" / "sync finished".
 */
export async function startServer(options: {
  name: string;
  dataDir: string;
  cleanup: Cleanup;
  profileDir?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** 'dist': the built CLI (bin/anemone.js, after `npm run build`), as installed servers run; default: the sources through tsx, as the tests do. */
  build?: 'tsx' | 'dist';
}): Promise<BenchServer> {
  const port = await freePort();
  const nodeArgs = options.build === 'dist' ? [] : ['--import', 'tsx'];
  if (options.profileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
  // BENCH_NODE_ARGS: extra flags for both servers' node (e.g. V8 heap sizes), to compare settings
  nodeArgs.push(...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const entry = options.build === 'dist' ? 'bin/anemone.js' : 'src/cli/run.ts';
  const child = options.cleanup.child(
    spawn(process.execPath, [...nodeArgs, entry, 'serve', '--data-dir', options.dataDir, '--port', String(port), '--bind', '127.0.0.1', '--log-level', 'info', '--log-file', path.join(options.dataDir, 'logs', 'anemone.log')], {
      cwd: REPO_ROOT,
      // libuv's pool as the systemd unit sizes it (Node 20 reads it before bin/anemone.js can set it), and glibc's
      // arenas as the unit and the image cap them (read by glibc at exec); a value in the environment wins
      env: { UV_THREADPOOL_SIZE: '16', MALLOC_ARENA_MAX: '2', ...process.env, ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-16_384)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let agent: Agent | undefined;
  while (!agent) {
    if (child.exitCode !== null) throw new Error(`anemone serve (${options.name}) exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`anemone serve (${options.name}) did not start: ${stderr}`);
    try {
      const certPem = await readFile(path.join(options.dataDir, 'certs', 'server.crt'), 'utf8');
      const candidate = new Agent({ connect: { ca: certPem } });
      const health = await new ApiClient(url, candidate).get('/health');
      if (health.status === 200) agent = candidate;
      else await candidate.close();
    } catch {
      await delay(100);
    }
  }
  const readyAgent = agent;
  const pid = child.pid as number;
  const rss = new RssSampler(pid).start();
  return {
    name: options.name,
    dataDir: options.dataDir,
    port,
    url,
    pid,
    process: child,
    rss,
    logPath: path.join(options.dataDir, 'logs', 'anemone.log'),
    client: () => new ApiClient(url, readyAgent),
    hwmKb: () => procStatusKb(pid, 'VmHWM'),
    async stop() {
      rss.stop();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killed = await Promise.race([exited.then(() => false), delay(20_000).then(() => true)]);
        if (killed) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      await readyAgent.close();
    },
  };
}

export interface Pair {
  a: BenchServer;
  b: BenchServer;
  /** A's administrator, signed in. */
  adminA: ApiClient;
  /** B's administrator, signed in. */
  adminB: ApiClient;
  /** alice on A, signed in. */
  alice: ApiClient;
  backupShareId: number;
  /** A's `shares/alice/backup`. */
  shareRoot: string;
}

const B_PASSWORD = 'password of server b';

/** The product's default retention on a peer (src/incoming/sync-settings.ts). */
const PRODUCT_KEEP_VERSIONS_DAYS = 30;

/**
 * BENCH_KEEP_VERSIONS_DAYS: B's keepVersionsDays (default the product's 30).
 * 0 makes B a mirror again, so one bench run with 30 and one with 0 show
 * what keeping versions costs the sync.
 */
export function benchKeepVersionsDays(): number {
  const raw = process.env.BENCH_KEEP_VERSIONS_DAYS;
  if (raw === undefined || raw === '') return PRODUCT_KEEP_VERSIONS_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 0 || days > 3650) throw new Error(`BENCH_KEEP_VERSIONS_DAYS must be an integer 0–3650, got ${raw}`);
  return days;
}

/** Both servers set up through the API: alice on A, B accepting incoming syncs, A → B paired and pinned; `peerPort`: A reaches B there (a link proxy). */
export async function setUpPair(a: BenchServer, b: BenchServer, peerPort = b.port): Promise<Pair> {
  const adminA = a.client();
  expectStatus(await adminA.post('/api/setup', { serverName: 'server-a', username: 'admin', password: 'admin password of a' }), 201, 'setup of A');
  const adminB = b.client();
  expectStatus(await adminB.post('/api/setup', { serverName: 'server-b', username: 'admin', password: 'admin password of b' }), 201, 'setup of B');
  const keepVersionsDays = benchKeepVersionsDays();
  expectStatus(await adminB.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: B_PASSWORD, keepVersionsDays }), 200, 'accepting incoming on B');

  const alice = await addUser(a, adminA, 'alice');

  const peer = await adminA.post('/api/admin/peers', { name: 'server-b', address: '127.0.0.1', port: peerPort, password: B_PASSWORD, enabled: true });
  expectStatus(peer, 201, 'adding B as a peer of A');
  const tested = await adminA.post(`/api/admin/peers/${peer.body.id}/test`);
  if (!tested.body?.fingerprint) throw new Error(`Test Connection failed: ${JSON.stringify(tested.body)}`);
  expectStatus(await adminA.request('PATCH', `/api/admin/peers/${peer.body.id}`, { fingerprint: tested.body.fingerprint }), 200, 'pinning B');
  return { a, b, adminA, adminB, alice: alice.client, backupShareId: alice.backupShareId, shareRoot: alice.shareRoot };
}

/** A user on A, activated and signed in, with the backup share every new user gets. */
export async function addUser(a: BenchServer, adminA: ApiClient, username: string): Promise<{ client: ApiClient; backupShareId: number; shareRoot: string }> {
  const created = await adminA.post('/api/admin/users', { username });
  expectStatus(created, 201, `creating ${username}`);
  const client = a.client();
  const password = `${username} password`;
  const activated = await client.post('/api/activate', { token: created.body.activationToken, password });
  if (activated.status >= 300) throw new Error(`activating ${username} failed: ${activated.status} ${JSON.stringify(activated.body)}`);
  expectStatus(await client.post('/api/auth/login', { username, password }), 200, `${username} signing in`);
  const shares = await client.get('/api/shares');
  const backup = (shares.body.shares as { id: number; name: string }[]).find((share) => share.name === 'backup');
  if (!backup) throw new Error(`${username} has no backup share: ${JSON.stringify(shares.body)}`);
  return { client, backupShareId: backup.id, shareRoot: path.join(a.dataDir, 'shares', username, 'backup') };
}
