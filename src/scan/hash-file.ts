import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { errorCode } from './errors.js';
import type { SkipReason, StatedFile } from './walk-share.js';

export type HashOutcome = { sha256: string } | { skip: SkipReason; detail?: string };

// O_NOFOLLOW: a file swapped for a symlink after the walk is refused, never followed
// out of the share. O_NONBLOCK: one swapped for a FIFO cannot hang the scan on open.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * SHA-256 of a file the walk saw, read in `buffer`-sized pieces (constant
 * memory whatever the size; the caller reuses one buffer per worker, so a
 * scan of many small files allocates nothing per file). The result counts
 * only if the file afterwards is still the same inode with the size and mtime
 * the walk saw; otherwise the file is reported as changed and read next time.
 */
export async function hashFile(file: StatedFile, buffer: Buffer): Promise<HashOutcome> {
  let handle: FileHandle;
  try {
    handle = await open(file.absPath, OPEN_FLAGS);
  } catch (error) {
    return openFailure(error);
  }
  const hash = createHash('sha256');
  let bytesRead = 0;
  try {
    // Read exactly the size the walk saw: a file that grew since shows it in the check below.
    while (bytesRead < file.size) {
      const wanted = Math.min(buffer.length, file.size - bytesRead);
      const { bytesRead: got } = await handle.read(buffer, 0, wanted, bytesRead);
      if (got === 0) break;
      hash.update(buffer.subarray(0, got));
      bytesRead += got;
    }
  } catch (error) {
    const code = errorCode(error);
    return { skip: code === 'EAGAIN' ? 'changed-during-scan' : 'unreadable', ...(code ? { detail: code } : {}) };
  } finally {
    await handle.close();
  }
  return (await changeSinceWalk(file, bytesRead)) ?? { sha256: hash.digest('hex') };
}

function openFailure(error: unknown): HashOutcome {
  const code = errorCode(error);
  if (code === 'ENOENT') return { skip: 'vanished' };
  if (code === 'ELOOP') return { skip: 'symlink' };
  return { skip: 'unreadable', ...(code ? { detail: code } : {}) };
}

async function changeSinceWalk(file: StatedFile, bytesRead: number): Promise<HashOutcome | undefined> {
  let after;
  try {
    after = await lstat(file.absPath);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? { skip: 'vanished' } : openFailure(error);
  }
  const same = after.isFile() && after.ino === file.ino && after.size === file.size && Math.floor(after.mtimeMs) === file.mtimeMs && bytesRead === file.size;
  return same ? undefined : { skip: 'changed-during-scan' };
}
