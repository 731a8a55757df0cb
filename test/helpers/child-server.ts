import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import { REPO_ROOT } from './cli.js';
import { ApiClient } from './test-server.js';

/** A free port on loopback, found by binding port 0 and letting it go. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ChildServer {
  process: ChildProcess;
  url: string;
  /** What the process wrote to standard output so far (the log, by default). */
  stdout(): string;
  client(): ApiClient;
  /** Ends the process the hard way, as a power cut would. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `anemone serve` in its own process (the real CLI), on a data directory and port of its own; `extraArgs` come last, so they win. */
export async function startChildServer(dataDir: string, port: number, extraArgs: string[] = []): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve', '--data-dir', dataDir, '--port', String(port), '--bind', '127.0.0.1', '--log-level', 'warn', ...extraArgs], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const url = `https://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // a loaded machine (several suites at once) can take half a minute to start tsx and the server
  const deadline = Date.now() + 60_000;
  let agent: Agent | undefined;
  while (!agent) {
    if (child.exitCode !== null) throw new Error(`anemone serve exited: ${stderr}`);
    if (Date.now() > deadline) {
      // not left running: it would keep the test process alive until the file's timeout
      child.kill('SIGKILL');
      throw new Error(`anemone serve did not start: ${stderr}`);
    }
    try {
      const certPem = await readFile(path.join(dataDir, 'certs', 'server.crt'), 'utf8');
      const candidate = new Agent({ connect: { ca: certPem } });
      const health = await new ApiClient(url, candidate).get('/health');
      if (health.status === 200) agent = candidate;
    } catch {
      await delay(100);
    }
  }
  const readyAgent = agent;
  return {
    process: child,
    url,
    stdout: () => stdout,
    client: () => new ApiClient(url, readyAgent),
    async kill() {
      child.kill('SIGKILL');
      await exited;
      await readyAgent.close();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await readyAgent.close();
    },
  };
}

/**
 * A fresh child server set up as `server-a` with an activated `alice` and the
 * peer at `peerPort` (server-b's, or a proxy in front of it) confirmed: the
 * start of every kill -9 test. Returns the signed-in admin and alice's key.
 */
export async function setUpChildSource(server: ChildServer, peerPort: number): Promise<{ admin: ApiClient; aliceKey: Buffer }> {
  const admin = server.client();
  const setup = await admin.post('/api/setup', { serverName: 'server-a', username: 'admin', password: 'admin password a' });
  if (setup.status !== 201) throw new Error(`setup of server-a failed: ${setup.status} ${JSON.stringify(setup.body)}`);
  const created = await admin.post('/api/admin/users', { username: 'alice' });
  const activated = await server.client().post('/api/activate', { token: created.body.activationToken, password: 'alice password' });
  const peer = await admin.post('/api/admin/peers', { name: 'server-b', address: '127.0.0.1', port: peerPort, password: 'password of b' });
  const tested = await admin.post(`/api/admin/peers/${peer.body.id}/test`);
  await admin.request('PATCH', `/api/admin/peers/${peer.body.id}`, { fingerprint: tested.body.fingerprint });
  return { admin, aliceKey: Buffer.from(activated.body.encryptionKey, 'base64') };
}
