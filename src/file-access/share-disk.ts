/**
 * A user's folder of shares (`shares/<user>/`) as WebDAV sees it: two
 * folders, `backup` and `data`, and what is inside them. Everything in a
 * share is hostile input: the user (or anything else that writes there, a
 * Samba export, a restore) can turn a file into a symbolic link, a FIFO or a
 * device, or a folder into a link leading out of the share, between any two
 * calls. So:
 *
 * - a path is found as the Files page finds one (shares/share-places.ts):
 *   no link below its share's folder on the way nor at its end, and its real
 *   path exactly where its segments say, before anything is done with it (the
 *   share folder itself may be a link, a share on another disk, as the scan
 *   allows);
 * - links, FIFOs, sockets and devices are never shown, never opened, never
 *   followed: to WebDAV they do not exist;
 * - a file is read through scan/open-share-file.ts (O_NOFOLLOW|O_NONBLOCK,
 *   then the descriptor checked for a regular file at the expected place);
 * - a file is written under a hidden temporary name in its folder (opened
 *   O_CREAT|O_EXCL|O_NOFOLLOW and checked on the descriptor), flushed, then
 *   renamed over the name: the sync's scan never sees half an upload (hidden
 *   names are not synced).
 *
 * Node has no openat(), so a folder swapped for a link between the check and
 * a path call (mkdir, rename, unlink, readdir) could still act one level
 * outside for that one call; the checks after the fact below (the new
 * folder's real path, the listing read again) close what they can. Content
 * is never read or written through such a race: both go through checked
 * descriptors.
 */
import { close, constants, createReadStream, createWriteStream, fsync, open, readlink, type Stats } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rename, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { openShareFile } from '../scan/open-share-file.js';
import { findSharePlace, type SharePlace } from '../shares/share-places.js';
import { davTempName, isTempName, SHARE_NAMES, type ShareSegments } from '../shares/share-paths.js';

/** Why an operation on the shares was refused, in the terms WebDAV answers with. */
export type RefusalKind = 'not-found' | 'exists' | 'forbidden' | 'conflict' | 'disk-full';

export class ShareDiskRefusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'ShareDiskRefusal';
  }
}

export interface EntryStats {
  kind: 'file' | 'folder';
  size: number;
  modifiedMs: number;
  createdMs: number;
}

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const FULL_DISK = new Set(['ENOSPC', 'EDQUOT']);

export class ShareDisk {
  /** `userFolder`: `shares/<user>`; it and each share folder may be links (a share on another disk), nothing below them. */
  constructor(private readonly userFolder: string) {}

  /** The two shares, whatever else sits in the user's folder. */
  listRoot(): string[] {
    return [...SHARE_NAMES];
  }

  /** A file or folder; links and special files are not found. */
  async stat(segments: ShareSegments): Promise<EntryStats> {
    const found = await this.checkedLstat(segments);
    if (!found) throw notFound(segments);
    return found;
  }

  /** The names in a folder, links, special files and unfinished uploads and restores (ours or the Files page's) left out. */
  async list(segments: ShareSegments): Promise<string[]> {
    const folder = await this.checkedPath(segments);
    if (!folder) throw notFound(segments);
    const entries = await readdir(folder, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOTDIR' || error.code === 'ENOENT' ? notFound(segments) : error;
    });
    // read the folder's real path again: a folder swapped for a link during readdir listed another place
    if ((await this.checkedPath(segments)) !== folder) throw notFound(segments);
    return entries.filter((entry) => (entry.isFile() || entry.isDirectory()) && !isTempName(entry.name)).map((entry) => entry.name);
  }

  /** A regular file's bytes, read from a descriptor checked to be that file (never a link, never a FIFO). */
  async openRead(segments: ShareSegments): Promise<Readable> {
    const [share = '', ...rest] = segments;
    const root = await this.realShare(share);
    if (root === undefined || rest.length === 0) throw notFound(segments);
    const opening = await openShareFile({ realPath: root }, rest.join('/'));
    if (!('fd' in opening)) throw notFound(segments);
    return createReadStream('', { fd: opening.fd, highWaterMark: 1024 * 1024 });
  }

  /**
   * A stream that writes the file under a temporary name beside it and, once
   * ended, flushes it and renames it over `segments`; on failure or destroy
   * the temporary file is removed. A full disk fails with 'disk-full'; the stream's own errors pass
   * through `asStreamError` (the WebDAV adapter turns them into the library's errors).
   */
  async openWrite(segments: ShareSegments, asStreamError: (error: Error) => Error = (error) => error): Promise<Writable> {
    const target = await this.writableTarget(segments);
    const temp = path.join(path.dirname(target), davTempName());
    const fd = await new Promise<number>((resolve, reject) => open(temp, WRITE_FLAGS, 0o644, (error, opened) => (error ? reject(storageError(error, segments)) : resolve(opened))));
    // the folder may have been swapped for a link between the check and the open: the descriptor says where the file is
    if ((await descriptorPath(fd)) !== temp) {
      await new Promise((resolve) => close(fd, resolve));
      await unlink(temp).catch(() => undefined);
      throw new ShareDiskRefusal('forbidden', `${segments.join('/')} moved while it was opened`);
    }
    return atomicFileWriter(fd, temp, target, (error) => asStreamError(storageError(error, segments)));
  }

  /** An empty file at a new name (a lock taken before the upload: RFC 4918 §7.3). */
  async createEmptyFile(segments: ShareSegments): Promise<void> {
    const target = await this.writableTarget(segments);
    const fd = await new Promise<number>((resolve, reject) =>
      open(target, WRITE_FLAGS, 0o644, (error, opened) => (error ? reject(error.code === 'EEXIST' ? exists(segments) : storageError(error, segments)) : resolve(opened))),
    );
    await new Promise((resolve) => close(fd, resolve));
  }

  async makeFolder(segments: ShareSegments): Promise<void> {
    const target = await this.writableTarget(segments);
    await mkdir(target).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EEXIST' ? exists(segments) : storageError(error, segments);
    });
    // made through a folder swapped for a link meanwhile: it is not in the share, take it back
    if ((await this.checkedPath(segments)) !== target) {
      await rmdir(target).catch(() => undefined);
      throw new ShareDiskRefusal('forbidden', `${segments.join('/')} moved while it was made`);
    }
  }

  /** A file, or a folder with everything in it (a link inside is removed, never followed). */
  async remove(segments: ShareSegments): Promise<void> {
    const found = await this.stat(segments);
    if (segments.length < 2) throw new ShareDiskRefusal('forbidden', `The ${segments[0]} share itself cannot be deleted`);
    const target = await this.mustPlace(segments);
    if (found.kind === 'folder') await rm(target, { recursive: true });
    else await unlink(target);
  }

  /** Renames within the user's shares (backup ↔ data included); `overwrite` replaces what is at `to`. Returns whether something was replaced. */
  async move(from: ShareSegments, to: ShareSegments, overwrite: boolean): Promise<boolean> {
    if (from.length < 2) throw new ShareDiskRefusal('forbidden', `The ${from[0]} share itself cannot be moved or renamed`);
    await this.stat(from);
    const target = await this.writableTarget(to);
    const existing = await this.checkedLstat(to);
    if (existing && !overwrite) throw exists(to);
    if (existing) await this.remove(to);
    const source = await this.mustPlace(from);
    await rename(source, target).catch((error: NodeJS.ErrnoException) => {
      throw storageError(error, to);
    });
    return existing !== undefined;
  }

  /** A share's real folder. A link at the share folder itself is followed (a share may live on another disk, as the scan allows), none below it. */
  private async realShare(share: string): Promise<string | undefined> {
    return realpath(path.join(this.userFolder, share)).catch(() => undefined);
  }

  /** Where `segments` lie on disk, below their share's real folder. */
  private async mustPlace(segments: ShareSegments): Promise<string> {
    const [share = '', ...rest] = segments;
    const root = await this.realShare(share);
    if (root === undefined) throw new ShareDiskRefusal('conflict', `The ${share} share is missing on the server; ask your administrator`);
    return path.join(root, ...rest);
  }

  /** The absolute path when it exists with no link below the share folder, nor at its end; undefined otherwise. */
  private async checkedPath(segments: ShareSegments): Promise<string | undefined> {
    const place = await this.findPlace(segments);
    return place.kind === 'found' ? place.path.toString() : undefined;
  }

  private async checkedLstat(segments: ShareSegments): Promise<EntryStats | undefined> {
    const place = await this.findPlace(segments);
    return place.kind === 'found' ? entryStats(place.stats) : undefined;
  }

  /** WebDAV names are text (the library decoded them as UTF-8), so the place found is a string path. */
  private findPlace(segments: ShareSegments): Promise<SharePlace> {
    const [share = '', ...rest] = segments;
    return findSharePlace(path.join(this.userFolder, share), rest.map((segment) => Buffer.from(segment, 'utf8')));
  }

  /** Where a new file or folder named `segments` goes: inside a share, its folder real, nothing but a file in the way. */
  private async writableTarget(segments: ShareSegments): Promise<string> {
    if (segments.length < 2) throw new ShareDiskRefusal('forbidden', 'Only the backup and data folders live here; put files inside one of them');
    const parent = segments.slice(0, -1);
    const folder = await this.checkedLstat(parent);
    if (!folder) throw new ShareDiskRefusal('conflict', `The folder ${parent.join('/')} does not exist`);
    if (folder.kind !== 'folder') throw new ShareDiskRefusal('conflict', `${parent.join('/')} is a file, not a folder`);
    const target = await this.mustPlace(segments);
    const existing = await lstat(target).catch(() => undefined);
    // a link, FIFO or device at the name is not ours to replace (it is not shown either)
    if (existing && !existing.isFile() && !existing.isDirectory()) throw new ShareDiskRefusal('forbidden', `${segments.join('/')} is not a regular file or folder`);
    return target;
  }
}

function entryStats(found: Stats): EntryStats | undefined {
  if (!found.isFile() && !found.isDirectory()) return undefined;
  return { kind: found.isDirectory() ? 'folder' : 'file', size: found.size, modifiedMs: found.mtimeMs, createdMs: found.birthtimeMs };
}

/** The path the kernel names for an open descriptor (Linux /proc/self/fd; open-share-file.ts refuses systems without it). */
function descriptorPath(fd: number): Promise<string | undefined> {
  return new Promise((resolve) => readlink(`/proc/self/fd/${fd}`, (error, named) => resolve(error ? undefined : named)));
}

/** Writes to the open temporary file; on finish fsyncs, closes and renames it over `target`. Its errors pass through `failure`. */
function atomicFileWriter(fd: number, temp: string, target: string, failure: (error: NodeJS.ErrnoException) => Error): Writable {
  const file = createWriteStream('', { fd, autoClose: false, highWaterMark: 1024 * 1024 });
  // reported through each write's callback instead
  file.on('error', () => undefined);
  let settled = false;
  const discard = async () => {
    if (settled) return;
    settled = true;
    file.destroy();
    await new Promise((resolve) => close(fd, resolve));
    await unlink(temp).catch(() => undefined);
  };
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      file.write(chunk, (error) => done(error ? failure(error) : undefined));
    },
    final(done) {
      file.end(() => {
        fsync(fd, (syncError) => {
          if (syncError) return void discard().then(() => done(failure(syncError)));
          settled = true;
          close(fd, (closeError) => {
            if (closeError) return void unlink(temp).catch(() => undefined).then(() => done(failure(closeError)));
            rename(temp, target).then(
              () => done(),
              (error: NodeJS.ErrnoException) => void unlink(temp).catch(() => undefined).then(() => done(failure(error))),
            );
          });
        });
      });
    },
    destroy(error, done) {
      void discard().then(() => done(error));
    },
  });
}

function notFound(segments: ShareSegments): ShareDiskRefusal {
  return new ShareDiskRefusal('not-found', `${segments.join('/') || 'The folder'} does not exist`);
}

function exists(segments: ShareSegments): ShareDiskRefusal {
  return new ShareDiskRefusal('exists', `${segments.join('/')} already exists`);
}

/** A full disk (or quota) is its own answer (507); other errors keep their errno for the log. */
function storageError(error: NodeJS.ErrnoException, segments: ShareSegments): Error {
  if (FULL_DISK.has(error.code ?? '')) return new ShareDiskRefusal('disk-full', 'The disk holding the shares is full; free some space, then upload again');
  if (error.code === 'ENOENT') return new ShareDiskRefusal('conflict', `The folder of ${segments.join('/')} is gone`);
  if (error.code === 'EISDIR' || error.code === 'ENOTDIR' || error.code === 'ENOTEMPTY' || error.code === 'EEXIST') {
    return new ShareDiskRefusal('conflict', `${segments.join('/')} is in the way of a file or folder of another kind`);
  }
  return error;
}
