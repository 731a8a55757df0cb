/**
 * Where a path below a share lies on disk, for WebDAV and the Files page
 * alike. Everything in a share is hostile input: the user (or a Samba
 * export, a restore) can turn a folder into a symbolic link leading out of
 * the share between any two calls. So a place is found only when no part
 * below the share folder is a link (each part looked at with lstat) and the
 * real path of the end is exactly where the parts say (a folder swapped for a
 * link after its lstat is caught there). The share folder itself may be a
 * link: a share on another disk, as the scan allows.
 *
 * Node has no openat(), so a caller that then acts by path (readdir, mkdir,
 * unlink) can still be raced for that one call; callers that read or write
 * content do it through a descriptor checked where it points
 * (scan/open-share-file.ts), and a listing is checked again after it is read.
 */
import type { Stats } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { childPath, type FsPath } from '../manifest/file-keys.js';

export type SharePlace =
  /** `stats`: the entry's lstat (a regular file, a folder, or a FIFO, socket or device the caller refuses). */
  | { kind: 'found'; path: FsPath; stats: Stats }
  /** Nothing there, a file where a folder belongs on the way, or the share folder itself missing. */
  | { kind: 'missing' }
  /** A symbolic link below the share folder, on the way or at the end: never followed. */
  | { kind: 'through-link' };

/**
 * The place `parts` (raw names, as the file system holds them) name under
 * `shareFolder`, checked to have no link on the way nor at its end.
 *
 * @example
 * const place = await findSharePlace(folderOfShare, rawPartsOf('photos/2024'));
 * if (place.kind !== 'found' || !place.stats.isDirectory()) return refuse(place.kind);
 */
export async function findSharePlace(shareFolder: string, parts: readonly Buffer[]): Promise<SharePlace> {
  const root = await realpath(shareFolder).catch(() => undefined);
  if (root === undefined) return { kind: 'missing' };
  let place: FsPath = root;
  let stats = await lstat(root).catch(() => undefined);
  for (const part of parts) {
    if (!stats?.isDirectory()) return { kind: 'missing' };
    place = childPath(place, part);
    stats = await lstat(place).catch(() => undefined);
    if (stats?.isSymbolicLink()) return { kind: 'through-link' };
  }
  if (!stats) return { kind: 'missing' };
  const real = await realpath(place, { encoding: 'buffer' }).catch(() => undefined);
  if (!real) return { kind: 'missing' };
  return real.equals(typeof place === 'string' ? Buffer.from(place) : place) ? { kind: 'found', path: place, stats } : { kind: 'through-link' };
}
