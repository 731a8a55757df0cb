import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * O_NOFOLLOW: a symlink at the name fails (ELOOP) instead of being read
 * through; O_NONBLOCK: opening a FIFO nobody writes to returns at once
 * instead of hanging (the descriptor is then found not to be a regular file).
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Nothing at the name, or a parent that is not a folder. */
const MISSING = new Set(['ENOENT', 'ENOTDIR']);
/** Something at the name that is not a file to read: a symlink (ELOOP under O_NOFOLLOW) or a folder. */
const NOT_REGULAR = new Set(['ELOOP', 'EISDIR']);

export type OpenedRegularFile =
  | { kind: 'file'; handle: FileHandle; size: number }
  | { kind: 'missing' }
  /** A symlink, FIFO, socket, device or folder: refused, never read. */
  | { kind: 'not-regular' };

/**
 * Opens a file for reading only if it is a regular file, checked on the
 * descriptor (no window between a check and the open). Used wherever a
 * folder we do not control is read: stored objects on the peer, a copy of
 * a peer's folder offline. The caller closes `handle`.
 *
 * @example
 * const opened = await openRegularFile(storedPath);
 * if (opened.kind !== 'file') return refuse(opened.kind);
 * await pipeline(opened.handle.createReadStream(), sink);
 */
export async function openRegularFile(fullPath: string): Promise<OpenedRegularFile> {
  let handle: FileHandle;
  try {
    handle = await open(fullPath, OPEN_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (MISSING.has(code)) return { kind: 'missing' };
    if (NOT_REGULAR.has(code)) return { kind: 'not-regular' };
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (stats.isFile()) return { kind: 'file', handle, size: stats.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
  await handle.close();
  return { kind: 'not-regular' };
}
