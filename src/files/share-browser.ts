/**
 * Browsing, downloading and deleting in a user's own share from the web. Nothing here
 * follows a symbolic link: a folder on the path is found as WebDAV finds one
 * (shares/share-places.ts: no link on the way, its real path where the path
 * says), and a file is opened as the sync reads one (scan/open-share-file.ts: no final
 * link, no blocking on a FIFO, checked regular and inside the share on the
 * descriptor), so a link the user (or anything else) put in the share never
 * leads the server out of it.
 */
import { closeSync, createReadStream } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { AnemoneError } from '../errors/catalogue.js';
import { childPath, displayPart, fsRelPathFor, keyPartFor, rawPartOf, rawPartsOf, type FsPath } from '../manifest/file-keys.js';
import { openShareFile, resolveShareRoot } from '../scan/open-share-file.js';
import { findSharePlace } from '../shares/share-places.js';
import { shareKeyProblem } from '../shares/share-paths.js';
import { notFound, pathRefused, shownPath } from './file-errors.js';

export interface FolderListing {
  /** The folder listed, as a file key ('' is the share's root). */
  path: string;
  folders: { name: string; path: string }[];
  files: { name: string; path: string; size: number; mtime: string }[];
}

export interface DownloadableFile {
  name: string;
  size: number;
  mtimeMs: number;
  stream: Readable;
}

/** The folders and regular files in one folder of the share; hidden names, links and special files are left out, as the sync leaves them. */
export async function listFolder(root: string, relPath: string): Promise<FolderListing> {
  const folder = await realFolderAt(root, relPath);
  const entries = await readdir(folder, { withFileTypes: true, encoding: 'buffer' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw notFound(relPath);
    throw error;
  });
  // found again: a folder swapped for a link during readdir listed another place
  if (!samePath(await realFolderAt(root, relPath), folder)) throw notFound(relPath);
  const listing: FolderListing = { path: relPath, folders: [], files: [] };
  for (const entry of entries) {
    if (entry.name[0] === 0x2e) continue;
    const part = keyPartFor(entry.name);
    const entryPath = relPath === '' ? part : `${relPath}/${part}`;
    const name = displayPart(part);
    if (entry.isDirectory()) listing.folders.push({ name, path: entryPath });
    else if (entry.isFile()) {
      // lstat: a file swapped for a link since the listing shows neither
      const found = await lstat(childPath(folder, entry.name)).catch(() => undefined);
      if (found?.isFile()) listing.files.push({ name, path: entryPath, size: found.size, mtime: found.mtime.toISOString() });
    }
  }
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  listing.folders.sort(byName);
  listing.files.sort(byName);
  return listing;
}

/** A regular file of the share as a stream from its descriptor; the caller sends it and the stream closes it. */
export async function openForDownload(root: string, relPath: string): Promise<DownloadableFile> {
  const problem = shareKeyProblem(relPath);
  if (problem) throw pathRefused(relPath, problem);
  const opened = await openShareFile(await resolveShareRoot(root), fsRelPathFor(relPath));
  if ('skip' in opened) {
    if (opened.skip === 'vanished') throw notFound(relPath);
    if (opened.skip === 'unreadable') throw new AnemoneError('SHARE_UNREADABLE', { message: `${shownPath(relPath)} cannot be read (${opened.detail ?? 'unknown error'})` });
    throw new AnemoneError('FILE_NOT_REGULAR', { message: `${shownPath(relPath)} is not a regular file inside the share (${opened.skip}); it is not served` });
  }
  const parts = relPath.split('/');
  const { size, mtimeMs } = opened.stats;
  // from the descriptor checked above, never the path again; at most what fstat counted, so a file growing meanwhile does not outrun Content-Length
  let stream: Readable;
  if (size > 0) stream = createReadStream('', { fd: opened.fd, start: 0, end: size - 1, highWaterMark: 1024 * 1024 });
  else {
    closeSync(opened.fd);
    stream = Readable.from([]);
  }
  return { name: displayPart(parts[parts.length - 1] as string), size, mtimeMs, stream };
}

/**
 * Deletes one regular file, or one empty folder, of the share. The folders
 * on its path are checked not to be links; the last part is removed with
 * unlink/rmdir, which never follow a link. A link or special file is not
 * removed (the page never shows one), nor is a folder that still holds
 * anything: a mistaken click costs at most one file.
 */
export async function deleteEntry(root: string, relPath: string): Promise<{ removed: 'file' | 'folder' }> {
  const problem = shareKeyProblem(relPath);
  if (problem) throw pathRefused(relPath, problem);
  const parts = relPath.split('/');
  const name = parts.pop() as string;
  const folder = await realFolderAt(root, parts.join('/'));
  const target = childPath(folder, rawPartOf(name));
  const found = await lstat(target).catch(() => undefined);
  if (!found) throw notFound(relPath);
  try {
    if (found.isFile()) {
      await unlink(target);
      return { removed: 'file' };
    }
    if (found.isDirectory()) {
      await rmdir(target);
      return { removed: 'folder' };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new AnemoneError('FOLDER_NOT_EMPTY', { message: `${shownPath(relPath)} still holds files; it was not deleted` });
    if (code === 'ENOENT') throw notFound(relPath);
    throw error;
  }
  throw new AnemoneError('FILE_NOT_REGULAR', { message: `${shownPath(relPath)} is not a regular file or folder (a link, a pipe or a device); it was not deleted` });
}

/** The folder `relPath` names under `root`, with no link on the way nor at its end. */
async function realFolderAt(root: string, relPath: string): Promise<FsPath> {
  if (relPath !== '') {
    const problem = shareKeyProblem(relPath);
    if (problem) throw pathRefused(relPath, problem);
  }
  const place = await findSharePlace(root, relPath === '' ? [] : rawPartsOf(relPath));
  if (place.kind === 'through-link') throw new AnemoneError('FILE_NOT_REGULAR', { message: `${shownPath(relPath)} goes through a symbolic link, which is never followed` });
  if (place.kind === 'missing' || !place.stats.isDirectory()) throw notFound(relPath);
  return place.path;
}

function samePath(a: FsPath, b: FsPath): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
