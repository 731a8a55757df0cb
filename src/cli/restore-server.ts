import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { serverNameSchema } from '../accounts/names.js';
import { openCore } from '../app.js';
import { type Config, type ConfigSource, loadConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { normalisePeerAddress } from '../peers/peer-fields.js';
import { discoverKitPeer, fetchKitFromPeer, throwawayIdentity } from '../recovery/kit-fetch.js';
import { type RestoreSummary, assertRestorable, openRecoveryKit, restoreServer } from '../recovery/restore-server.js';
import { commandLogger } from './command-logger.js';
import { CliError, usageError } from './errors.js';
import { promptHidden } from './secret-input.js';

export interface RestoreServerOptions {
  kit?: string;
  fromPeer?: string;
  peerPort?: string;
  peerFingerprint?: string;
  serverName?: string;
  passphraseStdin?: boolean;
  peerPasswordStdin?: boolean;
}

/**
 * `anemone restore-server`: a fresh data directory becomes the server a
 * recovery kit describes — from the kit file, or from the copy a peer keeps,
 * fetched with the peer's server password over a connection pinned to the
 * fingerprint the administrator confirmed. Nothing is written until the
 * kit has opened with its passphrase and checked out.
 */
export async function runRestoreServer(options: RestoreServerOptions, flags: ConfigSource): Promise<void> {
  if (Boolean(options.kit) === Boolean(options.fromPeer)) {
    throw usageError('Say where the recovery kit comes from', 'Give either --kit <file>, or --from-peer <address> with --server-name <name>.');
  }
  const config = loadConfig(process.env, flags);
  const logger = commandLogger(config);
  await refuseIfSetUp(config, logger);
  const peer = options.fromPeer ? await confirmedPeer(options) : undefined;

  const secrets = await readSecrets(options);
  let sealed: Buffer;
  if (options.kit) {
    sealed = await readFile(options.kit).catch(() => {
      throw new CliError(`Cannot read the kit file ${options.kit}`, 'Give the path of the file downloaded from Admin → Recovery kit.');
    });
  } else {
    sealed = await fetchFromPeer(peer as ConfirmedPeer, secrets.peerPassword);
  }
  process.stderr.write('Opening the recovery kit…\n');
  const kit = await openRecoveryKit(sealed, secrets.passphrase);

  const core = await openCore(config, logger);
  try {
    const summary = await restoreServer(
      { repos: core.repos, masterKeys: core.masterKeys, sharePath: (username, share) => core.services.shares.sharePath(username, share), certsDir: config.certsDir },
      kit,
    );
    process.stdout.write(describe(summary, config));
  } finally {
    core.db.close();
  }
}

/** A data directory already set up is refused before any secret is asked for. */
async function refuseIfSetUp(config: Config, logger: Logger): Promise<void> {
  if (!existsSync(config.dbPath)) return;
  const core = await openCore(config, logger);
  try {
    assertRestorable(core.repos);
  } finally {
    core.db.close();
  }
}

interface ConfirmedPeer {
  address: string;
  port: number;
  fingerprint: string;
  serverName: string;
}

/**
 * The peer to fetch from, with the fingerprint the administrator confirmed.
 * Without one, the fingerprint the peer presents is printed and the command
 * stops: no secret is asked for, none is sent.
 */
async function confirmedPeer(options: RestoreServerOptions): Promise<ConfirmedPeer> {
  const address = normalisePeerAddress(options.fromPeer ?? '');
  if (address === null) throw usageError(`"${options.fromPeer}" is not a host name or an IP address`, 'Give the peer address only, without https:// or a port (use --peer-port).');
  const port = Number(options.peerPort ?? 8443);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError(`Invalid --peer-port ${options.peerPort}`, 'Use a port from 1 to 65535.');
  if (!options.peerFingerprint) {
    const found = await discoverKitPeer({ address, port }, await throwawayIdentity());
    process.stdout.write(`The peer at ${address}:${port} says it is "${found.serverName}" and presents the certificate\n  ${found.fingerprint}\n`);
    throw new CliError(
      "The peer's certificate is not confirmed, so nothing was sent to it",
      `Compare this fingerprint with the one on the peer's Settings page; if they match, run the command again with --peer-fingerprint ${found.fingerprint}`,
    );
  }
  const serverName = serverNameSchema.safeParse(options.serverName);
  if (!serverName.success) {
    throw usageError('Give the name of the server to rebuild with --server-name', 'It is the name the peer files its backups under (its Incoming Backups page lists it).');
  }
  return { address, port, fingerprint: options.peerFingerprint, serverName: serverName.data };
}

async function fetchFromPeer(peer: ConfirmedPeer, password: string | undefined): Promise<Buffer> {
  if (!password) throw usageError('No peer password given', "Pipe the peer's server password with --peer-password-stdin, or set ANEMONE_PEER_PASSWORD.");
  process.stderr.write(`Fetching the recovery kit of "${peer.serverName}" from ${peer.address}:${peer.port}…\n`);
  return fetchKitFromPeer({ address: peer.address, port: peer.port, fingerprint: peer.fingerprint, password, sourceServer: peer.serverName }, await throwawayIdentity());
}

/** The passphrase, then the peer password: lines of standard input when asked for, else environment variables. */
async function readSecrets(options: RestoreServerOptions): Promise<{ passphrase: string; peerPassword: string | undefined }> {
  const wanted = (options.passphraseStdin ? 1 : 0) + (options.peerPasswordStdin ? 1 : 0);
  const lines = wanted > 0 ? await readLines(process.stdin, wanted) : [];
  // at a terminal, what neither a flag nor a variable gave is asked for, hidden
  const ask = async (prompt: string) => (process.stdin.isTTY ? promptHidden(prompt, process.stdin, process.stderr) : undefined);
  const passphrase = (options.passphraseStdin ? lines.shift() : process.env.ANEMONE_KIT_PASSPHRASE) || (await ask('Recovery kit passphrase (not echoed): '));
  if (!passphrase) throw usageError('No kit passphrase given', 'Pipe it with --passphrase-stdin, or set ANEMONE_KIT_PASSPHRASE.');
  if (!options.fromPeer) return { passphrase, peerPassword: undefined };
  const peerPassword = (options.peerPasswordStdin ? lines.shift() : process.env.ANEMONE_PEER_PASSWORD) || (await ask("The peer's server password (not echoed): "));
  return { passphrase, peerPassword };
}

async function readLines(input: NodeJS.ReadableStream, count: number): Promise<string[]> {
  const lines: string[] = [];
  const reader = createInterface({ input });
  for await (const line of reader) {
    lines.push(line);
    if (lines.length === count) break;
  }
  reader.close();
  return lines;
}

function describe(summary: RestoreSummary, config: Config): string {
  const list = (names: string[]) => (names.length > 0 ? names.join(', ') : '(none)');
  return [
    `Server "${summary.serverName}" is rebuilt in ${config.dataDir} from its recovery kit:`,
    `  certificate  ${summary.fingerprint} (the one its peers know)`,
    `  users        ${list(summary.users)}`,
    `  peers        ${list(summary.peers)}`,
    `  shares       ${summary.shares} (empty folders for now)`,
    ...(config.tlsCertPath ? ['', 'Note: TLS_CERT_PATH is set, so the server will present that certificate instead of the restored one; unset it so peers recognise this server.'] : []),
    '',
    'Now start the server (anemone serve), sign in as an administrator and run a bulk restore from a peer',
    '(Admin → Restore, or POST /api/admin/restore {peerId, users}); users sign in with their old passwords.',
    'Automatic sync is switched off, so no scheduled sync runs on half-restored shares: switch it back on',
    '(Synchronisation page, or PUT /api/admin/sync/config) once the bulk restore has finished.',
    '',
  ].join('\n');
}
