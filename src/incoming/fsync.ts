import { open } from 'node:fs/promises';

/**
 * Flushes a folder's entries, so a rename (or a new subfolder) in it survives
 * a power cut. Some file systems refuse fsync on a folder; that is no reason
 * to fail an upload whose data is already flushed.
 */
export async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
