import { ConfigError } from '../config/config.js';
import { AnemoneError } from '../errors/catalogue.js';
import { IdentityError } from '../identity/identity.js';
import { DecryptError } from '../offline/errors.js';

/** The exit codes scripts can rely on (docs/install.md, "Exit codes"). */
export const EXIT = {
  done: 0,
  failed: 1,
  /** The command line or a setting is wrong: nothing was done. */
  usage: 2,
  /** Some of the work was done, some failed (e.g. decrypt with files that could not be decrypted). */
  partly: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A command-line failure: what happened, what to do, and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A wrong command line: refused before anything is done (exit 2). */
export function usageError(message: string, hint: string): CliError {
  return new CliError(message, hint, EXIT.usage);
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof ConfigError) return EXIT.usage;
  return EXIT.failed;
}

/** The text a person reads for an error; a stack trace only with ANEMONE_DEBUG=1. */
export function describeCliError(error: unknown): string {
  if (error instanceof CliError || error instanceof AnemoneError) return `Error: ${error.message}\n${error.hint}`;
  if (error instanceof ConfigError || error instanceof IdentityError || error instanceof DecryptError) return `Error: ${error.message}`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'Error: the port is already in use.\nStop the other program or choose another port with HTTPS_PORT / --port.';
  if (code === 'EACCES') return `Error: permission denied (${(error as Error).message}).\nRun with a user that may write the data directory, or use a port above 1024.`;
  if (process.env.ANEMONE_DEBUG === '1' && error instanceof Error) return error.stack ?? error.message;
  return `Error: ${error instanceof Error ? error.message : String(error)}\nRun again with ANEMONE_DEBUG=1 for details.`;
}
