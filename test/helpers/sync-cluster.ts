import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ServerOptions } from '../../src/app.js';
import type { ConfigSource } from '../../src/config/config.js';
import type { ApiClient, TestServer } from './test-server.js';
import { startTestServer } from './test-server.js';

export interface ClusterServer {
  test: TestServer;
  admin: ApiClient;
  name: string;
  port: number;
}

/**
 * The lines of a server's log file (data/logs/anemone.log), each parsed, once `wanted` holds for them (or after
 * 10 s, for the caller's assertions to say what is missing). The file is written asynchronously and pino's
 * flush() does nothing through a multistream: a line logged a moment ago may not be in it yet, nor whole.
 */
export async function serverLogLines<Line>(server: ClusterServer, wanted: (lines: Line[]) => boolean): Promise<Line[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await readFile(path.join(server.test.dataDir, 'logs', 'anemone.log'), 'utf8');
    // a line still being written is read on the next pass
    const lines = text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
    if (wanted(lines) || Date.now() > deadline) return lines;
    await delay(50);
  }
}

/** A set-up server whose admin is signed in; `acceptPassword` opens it to incoming syncs with that password. */
export async function startNamedServer(
  name: string,
  options: { acceptPassword?: string; logLevel?: 'info' | 'warn'; dataDir?: string; serverOptions?: ServerOptions; config?: ConfigSource } = {},
): Promise<ClusterServer> {
  const test = await startTestServer({
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.serverOptions ? { serverOptions: options.serverOptions } : {}),
  });
  const admin = test.client();
  const setup = await admin.post('/api/setup', { serverName: name, username: 'admin', password: `${name} admin password` });
  if (setup.status !== 201) throw new Error(`setup of ${name} failed: ${JSON.stringify(setup.body)}`);
  if (options.acceptPassword !== undefined) {
    const settings = await admin.request('PUT', '/api/admin/settings/sync', { acceptIncoming: true, password: options.acceptPassword });
    if (settings.status !== 200) throw new Error(`sync settings of ${name} failed: ${settings.status} ${JSON.stringify(settings.body)}`);
  }
  // the port peers are configured with: the peer listener's when it has one
  return { test, admin, name, port: Number(new URL(test.peerUrl).port) };
}

/** Creates and activates a user; returns their signed-in client and their key. */
export async function createUser(server: ClusterServer, username: string): Promise<{ client: ApiClient; key: Buffer; backupShareId: number }> {
  const created = await server.admin.post('/api/admin/users', { username });
  const client = server.test.client();
  const activated = await client.post('/api/activate', { token: created.body.activationToken, password: `${username} password` });
  await client.post('/api/auth/login', { username, password: `${username} password` });
  const shares = await client.get('/api/shares');
  const backup = shares.body.shares.find((share: { name: string }) => share.name === 'backup');
  return { client, key: Buffer.from(activated.body.encryptionKey, 'base64'), backupShareId: backup.id };
}

/** Adds `peer` as a peer of `source`, tests it and pins the fingerprint the test reported (as an admin confirming it). */
export async function pairPeer(source: ClusterServer, peer: ClusterServer, password: string): Promise<number> {
  const created = await source.admin.post('/api/admin/peers', { name: peer.name, address: '127.0.0.1', port: peer.port, password, enabled: true });
  if (created.status !== 201) throw new Error(`adding peer failed: ${created.status} ${JSON.stringify(created.body)}`);
  const tested = await source.admin.post(`/api/admin/peers/${created.body.id}/test`);
  if (!tested.body.fingerprint) throw new Error(`test connection failed: ${JSON.stringify(tested.body)}`);
  const pinned = await source.admin.request('PATCH', `/api/admin/peers/${created.body.id}`, { fingerprint: tested.body.fingerprint });
  if (pinned.status !== 200) throw new Error(`pinning failed: ${pinned.status} ${JSON.stringify(pinned.body)}`);
  return created.body.id as number;
}

/**
 * Every stored file under a peer's folder for one share, as stored path → bytes.
 * Read while the peer may be writing: a file listed then gone before it is read
 * (a temporary file renamed into place, a folder being deleted) is left out.
 */
export async function storedFiles(root: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const bytes = await readFile(full).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        });
        if (bytes) found.set(path.relative(root, full).split(path.sep).join('/'), bytes);
      }
    }
  };
  await walk(root);
  return found;
}

export async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relPath, content] of Object.entries(files)) {
    const filePath = path.join(root, ...relPath.split('/'));
    await mkdir(path.dirname(filePath), { recursive: true });
    await writeFile(filePath, content);
  }
}

export interface SyncLog {
  id: number;
  user: string;
  share: string;
  peer: string;
  status: string;
  fileCount: number;
  bytesTransferred: number;
  error: string | null;
  errorCode: string | null;
  hint: string | null;
}

/** Waits until the given log rows have left `running`, and returns them. */
export async function waitForLogs(admin: ApiClient, logIds: number[], timeoutMs = 60_000): Promise<SyncLog[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = (await admin.get('/api/admin/sync/logs?limit=1000')).body.logs as SyncLog[];
    const wanted = logs.filter((log) => logIds.includes(log.id));
    if (wanted.length === logIds.length && wanted.every((log) => log.status !== 'running')) return wanted;
    if (Date.now() > deadline) throw new Error(`sync logs ${logIds.join(', ')} still running: ${JSON.stringify(wanted)}`);
    await delay(50);
  }
}

/** Sync now on a share (one peer): the log id of the run it started, without waiting for it. */
export async function startSync(client: ApiClient, shareId: number): Promise<number> {
  const response = await client.post(`/api/shares/${shareId}/sync`);
  if (response.status !== 202) throw new Error(`sync refused: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.started[0].logId as number;
}

/** Sync now on a share, waiting for every run it started. */
export async function syncAndWait(client: ApiClient, admin: ApiClient, shareId: number): Promise<SyncLog[]> {
  const response = await client.post(`/api/shares/${shareId}/sync`);
  if (response.status !== 202) throw new Error(`sync refused: ${response.status} ${JSON.stringify(response.body)}`);
  return waitForLogs(admin, response.body.started.map((run: { logId: number }) => run.logId));
}
