import { createHash } from 'node:crypto';
import { openRegularFile } from './open-regular-file.js';

/**
 * The size and SHA-256 of one file, read without following a symlink and
 * without blocking on a FIFO (open-regular-file.ts); undefined when no
 * regular file is there. The peer's verification and history, and offline
 * decryption of a peer folder, hash stored objects with it.
 */
export async function hashRegularFile(fullPath: string): Promise<{ size: number; sha256: string } | undefined> {
  const opened = await openRegularFile(fullPath);
  if (opened.kind !== 'file') return undefined;
  try {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of opened.handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await opened.handle.close();
  }
}
