import { createInterface } from 'node:readline';
import { passwordSchema, serverNameSchema, usernameSchema } from '../accounts/names.js';
import { openCore } from '../app.js';
import { loadConfig, type ConfigSource } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { CliError } from './errors.js';

export interface SetupOptions {
  serverName: string;
  username: string;
  passwordStdin?: boolean;
}

/** Headless first setup on a data directory: the same service the API's /api/setup uses. */
export async function runSetup(options: SetupOptions, flags: ConfigSource): Promise<void> {
  const password = options.passwordStdin ? await readFirstLine(process.stdin) : process.env.ANEMONE_ADMIN_PASSWORD;
  if (!password) {
    throw new CliError('No administrator password given', 'Pipe it with --password-stdin, or set ANEMONE_ADMIN_PASSWORD.');
  }
  const input = {
    serverName: parseWith(serverNameSchema, options.serverName, '--server-name'),
    username: parseWith(usernameSchema, options.username, '--username'),
    password: parseWith(passwordSchema, password, 'the password'),
  };
  const config = loadConfig(process.env, flags);
  const logger = createLogger({ level: config.logLevel, logsDir: config.logsDir, toStdout: false });
  const core = await openCore(config, logger);
  try {
    const { encryptionKey } = await core.services.setup.setup(input);
    process.stdout.write(
      [
        `Server "${input.serverName}" is set up in ${config.dataDir}; administrator: ${input.username}.`,
        '',
        `Encryption key of ${input.username} (shown this once; keep it somewhere safe, it is the only way to read your backups without this server):`,
        encryptionKey,
        '',
      ].join('\n'),
    );
  } finally {
    core.db.close();
  }
}

function parseWith<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CliError(`Invalid ${what}: ${result.error.issues[0]?.message ?? 'not valid'}`, 'Correct it and run the command again.');
  return result.data;
}

async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}
