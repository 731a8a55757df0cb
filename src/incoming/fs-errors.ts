import { AnemoneError } from '../errors/catalogue.js';

export function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}

/**
 * A full disk or quota becomes 507 for the source (its data here is intact:
 * every write went to a temporary file, or to a new name the failed write
 * removes); other errors pass unchanged.
 */
export function asStorageError(error: unknown): unknown {
  if (isCode(error, 'ENOSPC', 'EDQUOT')) return new AnemoneError('INSUFFICIENT_STORAGE', { cause: error });
  return error;
}
