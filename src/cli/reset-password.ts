import { existsSync } from 'node:fs';
import { passwordSchema, usernameSchema } from '../accounts/names.js';
import { openCore } from '../app.js';
import { loadConfig, type ConfigSource } from '../config/config.js';
import { commandLogger } from './command-logger.js';
import { CliError } from './errors.js';
import { printJson } from './output.js';
import { readSecret } from './secret-input.js';
import { parseWith } from './setup.js';

export interface ResetPasswordOptions {
  passwordStdin?: boolean;
  json?: boolean;
}

/**
 * `anemone reset-password <user>`, run on the server by whoever may read its
 * data directory: a new password (standard input, ANEMONE_NEW_PASSWORD or a
 * hidden prompt), and the user's sessions end. The server may keep running:
 * SQLite lets both write, and it reads sessions from the database on each request.
 */
export async function runResetPassword(username: string, options: ResetPasswordOptions, flags: ConfigSource): Promise<void> {
  const name = parseWith(usernameSchema, username, 'username');
  const config = loadConfig(process.env, flags);
  if (!existsSync(config.dbPath)) {
    throw new CliError(`There is no Anemone database in ${config.dataDir}`, 'Give the data directory the server uses with --data-dir or ANEMONE_DATA_DIR.');
  }
  const password = await readSecret({
    fromStdin: options.passwordStdin === true,
    envName: 'ANEMONE_NEW_PASSWORD',
    prompt: `New password for ${name} (not echoed): `,
    missing: { message: 'No new password given', hint: 'Pipe it with --password-stdin, set ANEMONE_NEW_PASSWORD, or run the command in a terminal to be asked.' },
  });
  const newPassword = parseWith(passwordSchema, password, 'password');
  const core = await openCore(config, commandLogger(config));
  try {
    const { sessionsEnded } = await core.services.users.resetPassword(name, newPassword);
    if (options.json) printJson({ username: name, sessionsEnded });
    else process.stdout.write(`The password of ${name} is changed; ${sessionsEnded} session(s) ended, so ${name} signs in again with the new one.\n`);
  } finally {
    core.db.close();
  }
}
