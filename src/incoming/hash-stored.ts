import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { isCode } from './fs-errors.js';

/**
 * The size and SHA-256 of one stored file, read without following a
 * symlink; undefined when no regular file is there. Verification asks for
 * these so a source can compare them with its manifest's ciphertext hashes
 * without downloading the files.
 */
export async function hashStoredFile(fullPath: string): Promise<{ size: number; sha256: string } | undefined> {
  let handle;
  try {
    handle = await open(fullPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if (isCode(error, 'ENOENT', 'ELOOP', 'EISDIR', 'ENOTDIR')) return undefined;
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
