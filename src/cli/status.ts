import { existsSync } from 'node:fs';
import { loadConfig, type ConfigSource } from '../config/config.js';
import { createRepositories, openDatabaseReadOnly, type Repositories } from '../db/index.js';
import { SERVER_NAME_SETTING } from '../accounts/setup-service.js';
import { CliError } from './errors.js';
import { printJson } from './output.js';

export interface StatusReport {
  serverName: string | null;
  dataDir: string;
  peers: { name: string; address: string; port: number; enabled: boolean; status: string | null; statusMessage: string | null; lastContactAt: string | null }[];
  /** Each synced share with each peer: the last run and the last success. */
  syncs: { user: string; share: string; peer: string; lastRun: { status: string; startedAt: string; finishedAt: string | null; error: string | null } | null; lastSuccessAt: string | null }[];
  /** Runs the database shows as running: the server's, or, when it is stopped, those its next start marks interrupted. */
  running: { user: string; share: string; peer: string; startedAt: string; fileCount: number; bytesTransferred: number }[];
}

/**
 * `anemone status`: read from the data directory's database, read-only, so it
 * works whether the server runs or not and never changes anything.
 */
export function runStatus(options: { json?: boolean }, flags: ConfigSource): void {
  const config = loadConfig(process.env, flags);
  if (!existsSync(config.dbPath)) {
    throw new CliError(`There is no Anemone database in ${config.dataDir}`, 'Give the data directory the server uses with --data-dir or ANEMONE_DATA_DIR.');
  }
  const db = openDatabaseReadOnly(config.dbPath);
  let report: StatusReport;
  try {
    report = readStatus(createRepositories(db), config.dataDir);
  } finally {
    db.close();
  }
  if (options.json) printJson(report);
  else process.stdout.write(describeStatus(report));
}

export function readStatus(repos: Repositories, dataDir: string): StatusReport {
  const peers = repos.peers.list();
  const syncs = repos.shares.listSyncEnabled().flatMap((share) =>
    peers.map((peer) => {
      const lastRunId = repos.syncLogs.latestRunId(share.id, peer.id);
      const lastRun = lastRunId === undefined ? undefined : repos.syncLogs.findById(lastRunId);
      return {
        user: share.username,
        share: share.name,
        peer: peer.name,
        lastRun: lastRun ? { status: lastRun.status, startedAt: lastRun.startedAt, finishedAt: lastRun.finishedAt, error: lastRun.error } : null,
        lastSuccessAt: repos.lastSync.lastSuccess(share.id, peer.id) ?? null,
      };
    }),
  );
  const running = repos.syncLogs.list({ limit: 1000, status: 'running' }).map((run) => ({
    user: run.username,
    share: run.shareName,
    peer: run.peerName,
    startedAt: run.startedAt,
    fileCount: run.fileCount,
    bytesTransferred: run.bytesTransferred,
  }));
  return {
    serverName: repos.settings.get(SERVER_NAME_SETTING) ?? null,
    dataDir,
    peers: peers.map((peer) => ({
      name: peer.name,
      address: peer.address,
      port: peer.port,
      enabled: peer.enabled,
      status: peer.status,
      statusMessage: peer.statusMessage,
      lastContactAt: peer.lastContactAt,
    })),
    syncs,
    running,
  };
}

function describeStatus(report: StatusReport): string {
  const lines = [report.serverName ? `Server "${report.serverName}" (${report.dataDir})` : `Not set up yet (${report.dataDir}): run anemone setup, or open the web page.`, ''];
  lines.push('Peers:');
  if (report.peers.length === 0) lines.push('  (none)');
  for (const peer of report.peers) {
    const status = peer.enabled ? (peer.status ?? 'not contacted yet') : 'disabled';
    lines.push(`  ${peer.name}  ${peer.address}:${peer.port}  ${status}${peer.lastContactAt ? `  last contact ${peer.lastContactAt}` : ''}${peer.statusMessage ? `  — ${peer.statusMessage}` : ''}`);
  }
  lines.push('', 'Last sync (user/share → peer):');
  if (report.syncs.length === 0) lines.push('  (nothing to sync yet)');
  for (const sync of report.syncs) {
    const last = sync.lastRun ? `${sync.lastRun.status} ${sync.lastRun.finishedAt ?? sync.lastRun.startedAt}${sync.lastRun.error ? ` (${sync.lastRun.error})` : ''}` : 'never run';
    lines.push(`  ${sync.user}/${sync.share} → ${sync.peer}  ${last}  last success: ${sync.lastSuccessAt ?? 'never'}`);
  }
  lines.push('', 'Running now (as recorded in the database):');
  if (report.running.length === 0) lines.push('  (nothing)');
  for (const run of report.running) lines.push(`  ${run.user}/${run.share} → ${run.peer}  since ${run.startedAt}  ${run.fileCount} file(s), ${run.bytesTransferred} bytes`);
  return `${lines.join('\n')}\n`;
}
