import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { VERSION } from '../version.js';
import { configFlagsFrom, withConfigFlags } from './config-flags.js';
import { EXIT, describeCliError, exitCodeOf } from './errors.js';
import { runServe } from './serve.js';

/*
 * The other commands load on use: each brings packages the server never needs
 * (the decrypt progress bar, the S3 client of incoming migrate…), and a
 * module imported is memory a running server keeps for its whole life.
 */

/** The settings each command takes as flags (and reads from the environment). */
const SERVE_KEYS = ['port', 'bind', 'peerPort', 'peerBind', 'uiTls', 'trustProxy', 'dataDir', 'sharesDir', 'incomingDir', 'incomingStore', 's3Endpoint', 's3Region', 's3Bucket', 's3Prefix', 's3ForcePathStyle', 's3AccessKeyId', 's3AccessKeyIdFile', 's3SecretAccessKey', 's3SecretAccessKeyFile', 'tlsCertPath', 'tlsKeyPath', 'logLevel', 'logFile', 'memory'] as const;
const SETUP_KEYS = ['dataDir', 'sharesDir', 'incomingDir', 'logLevel', 'logFile'] as const;
const RESTORE_SERVER_KEYS = SETUP_KEYS;
const STATUS_KEYS = ['dataDir'] as const;
const RESET_PASSWORD_KEYS = ['dataDir', 'logLevel', 'logFile'] as const;
const INCOMING_MIGRATE_KEYS = ['dataDir', 'incomingDir', 's3Endpoint', 's3Region', 's3Bucket', 's3Prefix', 's3ForcePathStyle', 's3AccessKeyId', 's3AccessKeyIdFile', 's3SecretAccessKey', 's3SecretAccessKeyFile'] as const;

export function buildProgram(): Command {
  const program = new Command('anemone')
    .description('Self-hosted, encrypted, peer-to-peer backup server')
    .version(VERSION)
    .showHelpAfterError()
    // commander's own errors (unknown option, missing argument) become exit 2 in main(), not its exit 1;
    // set before the commands are added, which inherit it
    .exitOverride();

  withConfigFlags(
    program.command('serve').description('Start the HTTPS server (generates a certificate on first start)'),
    SERVE_KEYS,
  ).action(async (options) => runServe(configFlagsFrom(options, SERVE_KEYS)));

  withConfigFlags(
    program
      .command('setup')
      .description('Headless first setup: the server name and the first administrator (password from stdin, ANEMONE_ADMIN_PASSWORD, or asked at a terminal)')
      .requiredOption('--server-name <name>', 'this server\'s name, as peers will see it')
      .requiredOption('--username <name>', 'the first administrator\'s username')
      .option('--password-stdin', 'read the administrator password from the first line of standard input')
      .option('--json', 'print {serverName, dataDir, username, encryptionKey} as JSON'),
    SETUP_KEYS,
  ).action(async (options) => (await import('./setup.js')).runSetup(options, configFlagsFrom(options, SETUP_KEYS)));

  program
    .command('decrypt')
    .description("Decrypt, offline, a .enc file or a share folder copied from a peer, with the user's key")
    .argument('<path>', 'a .enc file, or a folder incoming/<source>/<user>/<share> from a peer')
    .requiredOption('--out <dir>', 'where to write the decrypted files')
    .option('--key-file <file>', 'a file holding the user key, as shown at activation (grouped or base64)')
    .option('--key-stdin', 'read the user key from the first line of standard input (else ANEMONE_USER_KEY, else asked at a terminal)')
    .addOption(new Option('--key <base64>', 'refused: a key on the command line shows in ps and the shell history').hideHelp())
    .option('--json', 'print the summary {outDir, files, bytes, failures} as JSON')
    .option('--source <name>', 'the source server name (default: from the folder path)')
    .option('--user <name>', 'the user name (default: from the folder path)')
    .option('--share <name>', 'the share name (default: from the folder path)')
    .option('--path <relPath>', "a single file's original path in the share (default: from its stored name)")
    .option('--snapshot <generation>', "a share folder as of this snapshot (generation), from the peer's history beside it (../../.history)")
    .option('--at <time>', 'a share folder as of the newest snapshot written at or before this ISO time, e.g. 2026-03-01T12:00:00Z')
    .action(async (target, options) => (await import('./decrypt.js')).runDecrypt(target, options));

  withConfigFlags(
    program
      .command('restore-server')
      .description('Rebuild a lost server in a new, empty data directory from its recovery kit: a kit file, or the copy a peer keeps')
      .option('--kit <file>', 'the recovery kit file (anemone-<server>-recovery-kit.bin)')
      .option('--from-peer <address>', 'fetch the kit from this peer instead (needs --server-name and the peer password)')
      .option('--peer-port <port>', "the port the peer takes syncs on (its ANEMONE_PEER_PORT when it has one)", '8443')
      .option('--peer-fingerprint <fingerprint>', "the peer's certificate fingerprint, as its Settings page shows it; without it the fingerprint is printed and nothing is sent")
      .option('--server-name <name>', 'the name of the server to rebuild, as the peer files its backups under (with --from-peer)')
      .option('--passphrase-stdin', "read the kit's passphrase from a line of standard input (else ANEMONE_KIT_PASSPHRASE, else asked at a terminal)")
      .option('--peer-password-stdin', "read the peer's server password from a line of standard input, after the passphrase (else ANEMONE_PEER_PASSWORD, else asked at a terminal)"),
    RESTORE_SERVER_KEYS,
  ).action(async (options) => (await import('./restore-server.js')).runRestoreServer(options, configFlagsFrom(options, RESTORE_SERVER_KEYS)));

  withConfigFlags(
    program
      .command('status')
      .description("What the server's database says, read-only (the server may run or not): peers, the last sync of each share to each peer, syncs running")
      .option('--json', 'print the report as JSON'),
    STATUS_KEYS,
  ).action(async (options) => (await import('./status.js')).runStatus(options, configFlagsFrom(options, STATUS_KEYS)));

  withConfigFlags(
    program
      .command('reset-password')
      .description("Give a user a new password, on the server (the server may keep running); the user's sessions end")
      .argument('<user>', 'the username')
      .option('--password-stdin', 'read the new password from the first line of standard input (else ANEMONE_NEW_PASSWORD, else asked at a terminal)')
      .option('--json', 'print {username, sessionsEnded} as JSON'),
    RESET_PASSWORD_KEYS,
  ).action(async (user, options) => (await import('./reset-password.js')).runResetPassword(user, options, configFlagsFrom(options, RESET_PASSWORD_KEYS)));

  const incoming = program.command('incoming').description("Backups this server keeps for its peers");
  withConfigFlags(
    incoming
      .command('migrate')
      .description('Copy the backups kept on disk into the bucket of the ANEMONE_S3_* settings, verify each object, then switch the server to it (stopped server; resumable; nothing deleted)')
      .addOption(new Option('--to <store>', 'where to move them').choices(['s3'] as const).makeOptionMandatory())
      .option('--json', 'print {store, objects, bytes, copiedBefore, incomingDir} as JSON'),
    INCOMING_MIGRATE_KEYS,
  ).action(async (options) => {
    const { runIncomingMigrate } = await import('./incoming-migrate.js');
    await runIncomingMigrate({ ...options, standalone: true }, configFlagsFrom(options, INCOMING_MIGRATE_KEYS));
  });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has written its message already; --help and --version end here too, with 0
      process.exitCode = error.exitCode === 0 ? EXIT.done : EXIT.usage;
      return;
    }
    process.stderr.write(`${describeCliError(error)}\n`);
    process.exitCode = exitCodeOf(error);
  }
}
