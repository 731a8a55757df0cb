/**
 * The one way to open a file of a share for reading. A user who can write
 * into their share can swap a file the walk listed for a symbolic link (to
 * the master key, say), a FIFO or a device, or swap a folder on its path for a
 * link leading out of the share, at any moment before the read. So the file is
 * opened without following a final link and without blocking, then checked
 * on the descriptor: a regular file, and — by the path the kernel names for
 * the descriptor — exactly `<share's real path>/<relPath>`. Everything after
 * uses the descriptor, never the path again.
 *
 * The kernel's name for a descriptor comes from Linux's /proc/self/fd. Where
 * it is missing (another system, a container without /proc), no share file
 * can be checked, so none is read: `resolveShareRoot` refuses with
 * PathCheckUnavailableError instead of falling back to checks a swap could
 * race.
 */
import { AnemoneError } from '../errors/catalogue.js';
import { close, closeSync, constants, fstatSync, open, openSync, readlink, readlinkSync, realpath, type Stats } from 'node:fs';
import { errorCode, ShareMissingError, ShareUnreadableError } from './errors.js';
import type { SkipReason } from './walk-share.js';

/** A share's folder as a run reads it, resolved once per run. */
export interface ShareRoot {
  /** The real path of the share folder: a link at the root itself is followed (a share may live on another disk), none below it. */
  readonly realPath: string;
}

export type ShareFileOpening = { fd: number; stats: Stats } | { skip: SkipReason; detail?: string };

// O_NOFOLLOW: a final symbolic link is refused (ELOOP), never followed.
// O_NONBLOCK: opening a FIFO or a device cannot wait; fstat then refuses it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const FOLDER_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);

/**
 * Resolves the share folder once for a run, and checks that this system names
 * open descriptors in /proc/self/fd (without it no file could be checked).
 *
 * @throws ShareMissingError, ShareUnreadableError as the walk does
 * @throws PathCheckUnavailableError where /proc/self/fd does not name the share folder
 */
export async function resolveShareRoot(root: string): Promise<ShareRoot> {
  const realPath = await new Promise<string>((resolve, reject) => {
    realpath(root, (error, resolved) => (error ? reject(shareError(root, error)) : resolve(resolved)));
  });
  const fd = await new Promise<number>((resolve, reject) => {
    open(realPath, FOLDER_FLAGS, (error, opened) => (error ? reject(shareError(root, error)) : resolve(opened)));
  });
  const named = await new Promise<string | undefined>((resolve) => {
    readlink(descriptorLink(fd), (error, link) => close(fd, () => resolve(error ? undefined : link)));
  });
  if (named !== realPath) throw new PathCheckUnavailableError(realPath);
  return { realPath };
}

/**
 * Opens `relPath` (slash-separated, as the walk reports it; a Buffer for a
 * name that is not UTF-8) under the share for reading. On success the caller
 * owns `fd` and must close it; `stats` is the descriptor's fstat. Otherwise
 * the outcome says why the file is skipped; nothing is thrown for the file's
 * own problems.
 */
export function openShareFile(root: ShareRoot, relPath: string | Buffer): Promise<ShareFileOpening> {
  return new Promise((resolve) => {
    const place = placeOf(root, relPath);
    if (place === undefined) return resolve({ skip: 'outside-share' });
    // the open may wait on the disk, so it goes through libuv's pool; the checks below never do
    open(place.fullPath, OPEN_FLAGS, (openError, fd) => resolve(openError ? openFailure(openError) : checkOpened(fd, place)));
  });
}

/**
 * openShareFile with a synchronous open, for a thread of its own (the small
 * files' sealing worker) where a call that waits on the disk blocks nothing
 * else and a trip through libuv's pool would cost more than the call. The
 * same flags and the same checks on the descriptor.
 */
export function openShareFileSync(root: ShareRoot, relPath: string | Buffer): ShareFileOpening {
  const place = placeOf(root, relPath);
  if (place === undefined) return { skip: 'outside-share' };
  let fd: number;
  try {
    fd = openSync(place.fullPath, OPEN_FLAGS);
  } catch (error) {
    return openFailure(error as NodeJS.ErrnoException);
  }
  return checkOpened(fd, place);
}

/**
 * Checks an opened descriptor: a regular file, named by the kernel exactly
 * where it was expected; closes it when it is refused. Synchronous calls:
 * fstat on a descriptor and readlink in /proc read what the kernel holds in
 * memory and never wait on the disk, so two trips through libuv's pool per
 * file (a request, a wake-up and a callback each) cost more than the calls.
 */
function checkOpened(fd: number, place: SharePlace): ShareFileOpening {
  let outcome: { skip: SkipReason; detail?: string };
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) outcome = { skip: 'not-a-regular-file' };
    else {
      const named = readlinkSync(descriptorLink(fd), { encoding: place.encoding });
      if (named === place.expected) return { fd, stats };
      outcome = misplaced(named, place.expected, place.prefix);
    }
  } catch (error) {
    outcome = readFailure(error as NodeJS.ErrnoException);
  }
  // closing a descriptor opened for reading writes nothing back, so it does not wait on the disk either
  closeSync(fd);
  return outcome;
}

interface SharePlace {
  /** The path to open. */
  fullPath: string | Buffer;
  /** The kernel's name the opened descriptor must have (latin1 for a path given as bytes). */
  expected: string;
  /** The share folder's part of `expected`. */
  prefix: string;
  encoding: 'utf8' | 'latin1';
}

/**
 * Where `relPath` lies under the share: the path to open, and the kernel's
 * name the opened descriptor must have. Undefined for a path that is not a
 * plain relative one.
 */
function placeOf(root: ShareRoot, relPath: string | Buffer): SharePlace | undefined {
  // latin1 keeps a Buffer's bytes one for one, so paths compare byte-exactly whatever their encoding
  const relText = typeof relPath === 'string' ? relPath : relPath.toString('latin1');
  if (!isPlainRelPath(relText)) return undefined;
  if (typeof relPath === 'string') {
    const prefix = withSlash(root.realPath);
    return { fullPath: prefix + relPath, expected: prefix + relPath, prefix, encoding: 'utf8' };
  }
  const prefix = Buffer.from(withSlash(root.realPath)).toString('latin1');
  return { fullPath: Buffer.concat([Buffer.from(withSlash(root.realPath)), relPath]), expected: prefix + relText, prefix, encoding: 'latin1' };
}

/** Why the descriptor is not `expected`: the file was deleted after the open, moved within the share, or reached through a link out of it. */
function misplaced(named: string, expected: string, sharePrefix: string): { skip: SkipReason } {
  if (named === `${expected} (deleted)`) return { skip: 'vanished' };
  return { skip: named.startsWith(sharePrefix) ? 'changed-during-scan' : 'outside-share' };
}

/** No empty, `.` or `..` segment, no leading slash, no NUL: the path names one place below the root, however it is joined. */
function isPlainRelPath(relPath: string): boolean {
  if (relPath === '' || relPath.includes('\0')) return false;
  return relPath.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function withSlash(folder: string): string {
  return folder.endsWith('/') ? folder : `${folder}/`;
}

function descriptorLink(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

function openFailure(error: NodeJS.ErrnoException): { skip: SkipReason; detail?: string } {
  switch (error.code) {
    case 'ENOENT':
      return { skip: 'vanished' };
    // O_NOFOLLOW met a symbolic link where the file was
    case 'ELOOP':
      return { skip: 'symlink' };
    // a folder on the path became a file, or the file became a folder
    case 'ENOTDIR':
    case 'EISDIR':
      return { skip: 'changed-during-scan' };
    // a socket (or a device without a driver) cannot be opened: neither is a regular file
    case 'ENXIO':
    case 'ENODEV':
    case 'EOPNOTSUPP':
      return { skip: 'not-a-regular-file' };
    default:
      return readFailure(error);
  }
}

function readFailure(error: NodeJS.ErrnoException): { skip: SkipReason; detail?: string } {
  const code = errorCode(error);
  return { skip: 'unreadable', ...(code ? { detail: code } : {}) };
}

function shareError(root: string, error: NodeJS.ErrnoException): Error {
  return error.code === 'ENOENT' || error.code === 'ENOTDIR' ? new ShareMissingError(root, { cause: error }) : new ShareUnreadableError(root, error);
}

/** This system does not name open files in /proc/self/fd, so no share file can be checked to lie inside its share. */
export class PathCheckUnavailableError extends AnemoneError {
  constructor(readonly root: string) {
    super('SHARE_PATH_CHECK_UNAVAILABLE', {
      message: `The files of ${root} cannot be read safely: this system does not show which file a descriptor opened (/proc/self/fd), so the server cannot make sure a file lies inside its share`,
    });
    this.name = 'PathCheckUnavailableError';
  }
}
