import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** What the file system answers when no regular file can be read at a name without following a link. */
const NOT_A_FILE = new Set(['ENOENT', 'ELOOP', 'EISDIR', 'ENOTDIR']);

/**
 * The size and SHA-256 of one file, read without following a symlink and
 * without blocking on a FIFO (the descriptor is checked to be a regular
 * file before a byte is read); undefined when no regular file is there.
 * The peer's verification and history, and offline decryption of a peer
 * folder, hash stored objects with it.
 */
export async function hashRegularFile(fullPath: string): Promise<{ size: number; sha256: string } | undefined> {
  let handle;
  try {
    handle = await open(fullPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (NOT_A_FILE.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}
