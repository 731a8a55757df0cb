import { AnemoneError } from '../errors/catalogue.js';

/**
 * Errors about a share's folder as a whole. They are typed because the sync
 * must tell a missing share (an unmounted disk: stop, never delete the
 * peer's copy) from an empty one and from one it may not read.
 */

export class ShareMissingError extends AnemoneError {
  readonly root: string;

  constructor(root: string, options: { detail?: string; cause?: unknown } = {}) {
    super('SHARE_MISSING', { message: `The share folder ${root} is missing${options.detail ? ` (${options.detail})` : ''}`, cause: options.cause });
    this.name = 'ShareMissingError';
    this.root = root;
  }
}

export class ShareUnreadableError extends AnemoneError {
  readonly root: string;

  constructor(root: string, cause: unknown) {
    super('SHARE_UNREADABLE', { message: `The share folder ${root} cannot be read (${errorCode(cause) ?? 'unknown error'})`, cause });
    this.name = 'ShareUnreadableError';
    this.root = root;
  }
}

/** The errno code of a file system error (`ENOENT`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
