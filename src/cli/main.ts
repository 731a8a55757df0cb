import { Command } from '@commander-js/extra-typings';
import { VERSION } from '../version.js';
import { configFlagsFrom, withConfigFlags } from './config-flags.js';
import { runDecrypt } from './decrypt.js';
import { describeCliError } from './errors.js';
import { runServe } from './serve.js';
import { runRestoreServer } from './restore-server.js';
import { runSetup } from './setup.js';

export function buildProgram(): Command {
  const program = new Command('anemone')
    .description('Self-hosted, encrypted, peer-to-peer backup server')
    .version(VERSION)
    .showHelpAfterError();

  withConfigFlags(
    program.command('serve').description('Start the HTTPS server (generates a certificate on first start)'),
    ['port', 'bind', 'dataDir', 'sharesDir', 'incomingDir', 'tlsCertPath', 'tlsKeyPath', 'logLevel', 'memory'],
  ).action(async (options) => runServe(configFlagsFrom(options)));

  withConfigFlags(
    program
      .command('setup')
      .description('Headless first setup: the server name and the first administrator (password from stdin or ANEMONE_ADMIN_PASSWORD)')
      .requiredOption('--server-name <name>', 'this server\'s name, as peers will see it')
      .requiredOption('--username <name>', 'the first administrator\'s username')
      .option('--password-stdin', 'read the administrator password from the first line of standard input'),
    ['dataDir', 'sharesDir', 'incomingDir', 'logLevel'],
  ).action(async (options) => runSetup(options, configFlagsFrom(options)));

  program
    .command('decrypt')
    .description("Decrypt, offline, a .enc file or a share folder copied from a peer, with the user's key")
    .argument('<path>', 'a .enc file, or a folder incoming/<source>/<user>/<share> from a peer')
    .requiredOption('--out <dir>', 'where to write the decrypted files')
    .option('--key <base64>', 'the user key as shown at activation (or --key-file, or ANEMONE_USER_KEY)')
    .option('--key-file <file>', 'a file holding the user key')
    .option('--source <name>', 'the source server name (default: from the folder path)')
    .option('--user <name>', 'the user name (default: from the folder path)')
    .option('--share <name>', 'the share name (default: from the folder path)')
    .option('--path <relPath>', "a single file's original path in the share (default: from its stored name)")
    .action(async (target, options) => runDecrypt(target, options));

  withConfigFlags(
    program
      .command('restore-server')
      .description('Rebuild a lost server in a new, empty data directory from its recovery kit: a kit file, or the copy a peer keeps')
      .option('--kit <file>', 'the recovery kit file (anemone-<server>-recovery-kit.bin)')
      .option('--from-peer <address>', 'fetch the kit from this peer instead (needs --server-name and the peer password)')
      .option('--peer-port <port>', "the peer's port", '8443')
      .option('--peer-fingerprint <fingerprint>', "the peer's certificate fingerprint, as its Settings page shows it; without it the fingerprint is printed and nothing is sent")
      .option('--server-name <name>', 'the name of the server to rebuild, as the peer files its backups under (with --from-peer)')
      .option('--passphrase-stdin', "read the kit's passphrase from a line of standard input (else ANEMONE_KIT_PASSPHRASE)")
      .option('--peer-password-stdin', "read the peer's server password from a line of standard input, after the passphrase (else ANEMONE_PEER_PASSWORD)"),
    ['dataDir', 'sharesDir', 'incomingDir', 'logLevel'],
  ).action(async (options) => runRestoreServer(options, configFlagsFrom(options)));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.stderr.write(`${describeCliError(error)}\n`);
    process.exitCode = 1;
  }
}
