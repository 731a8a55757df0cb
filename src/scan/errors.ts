/**
 * Errors about a share's folder as a whole. They are typed because the sync
 * must tell a missing share (an unmounted disk: stop, never delete the
 * peer's copy) from an empty one and from one it may not read.
 */

export class ShareMissingError extends Error {
  readonly code = 'share-missing';
  readonly root: string;
  readonly hint = 'Check that the disk holding the shares is mounted and the folder was not moved or renamed.';

  constructor(root: string, options: { detail?: string; cause?: unknown } = {}) {
    super(`The share folder ${root} is missing${options.detail ? ` (${options.detail})` : ''}`, { cause: options.cause });
    this.name = 'ShareMissingError';
    this.root = root;
  }
}

export class ShareUnreadableError extends Error {
  readonly code = 'share-unreadable';
  readonly root: string;
  readonly hint = 'Check the permissions of the share folder: the Anemone process must be able to list and read it.';

  constructor(root: string, cause: unknown) {
    super(`The share folder ${root} cannot be read (${errorCode(cause) ?? 'unknown error'})`, { cause });
    this.name = 'ShareUnreadableError';
    this.root = root;
  }
}

/** The errno code of a file system error (`ENOENT`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
