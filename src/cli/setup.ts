import { passwordSchema, serverNameSchema, usernameSchema } from '../accounts/names.js';
import { openCore } from '../app.js';
import { loadConfig, type ConfigSource } from '../config/config.js';
import { commandLogger } from './command-logger.js';
import { usageError } from './errors.js';
import { printJson } from './output.js';
import { readSecret } from './secret-input.js';

export interface SetupOptions {
  serverName: string;
  username: string;
  passwordStdin?: boolean;
  json?: boolean;
}

/** Headless first setup on a data directory: the same service the API's /api/setup uses. */
export async function runSetup(options: SetupOptions, flags: ConfigSource): Promise<void> {
  const serverName = parseWith(serverNameSchema, options.serverName, '--server-name');
  const username = parseWith(usernameSchema, options.username, '--username');
  const config = loadConfig(process.env, flags);
  const password = await readSecret({
    fromStdin: options.passwordStdin === true,
    envName: 'ANEMONE_ADMIN_PASSWORD',
    prompt: `Password for ${username} (not echoed): `,
    missing: { message: 'No administrator password given', hint: 'Pipe it with --password-stdin, or set ANEMONE_ADMIN_PASSWORD.' },
  });
  const input = { serverName, username, password: parseWith(passwordSchema, password, 'the password') };
  const core = await openCore(config, commandLogger(config));
  try {
    const { encryptionKey } = await core.services.setup.setup(input);
    if (options.json) {
      printJson({ serverName: input.serverName, dataDir: config.dataDir, username: input.username, encryptionKey: encryptionKey.base64, encryptionKeyGrouped: encryptionKey.grouped });
      return;
    }
    process.stdout.write(
      [
        `Server "${input.serverName}" is set up in ${config.dataDir}; administrator: ${input.username}.`,
        '',
        `Encryption key of ${input.username} (shown this once; keep it somewhere safe, it is the only way to read your backups without this server):`,
        `  ${encryptionKey.grouped}`,
        'The same key in base64 (either form works when you type it back):',
        `  ${encryptionKey.base64}`,
        '',
      ].join('\n'),
    );
  } finally {
    core.db.close();
  }
}

export function parseWith<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw usageError(`Invalid ${what}: ${result.error.issues[0]?.message ?? 'not valid'}`, 'Correct it and run the command again.');
  return result.data;
}
