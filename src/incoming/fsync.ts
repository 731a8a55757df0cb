import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** A folder, never a symlink at its name (nor a file): a planted link cannot point the fsync elsewhere. */
const FOLDER_NO_FOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | (constants.O_NOFOLLOW ?? 0);

/**
 * Flushes a folder's entries, so a rename (or a new subfolder) in it survives
 * a power cut. Some file systems refuse fsync on a folder; that is no reason
 * to fail an upload whose data is already flushed. A symlink at `folder` is
 * refused (ENOTDIR on Linux, ELOOP elsewhere): callers pass real folders, a
 * root resolved with realpath.
 */
export async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, FOLDER_NO_FOLLOW);
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
