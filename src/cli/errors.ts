import { ConfigError } from '../config/config.js';
import { AnemoneError } from '../errors/catalogue.js';
import { IdentityError } from '../identity/identity.js';
import { DecryptError } from '../offline/errors.js';

/** A command-line failure: what happened, and what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
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
