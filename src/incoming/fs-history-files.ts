import { link, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { JOURNAL_FOLDER } from '../manifest/manifest-delta.js';
import { HISTORY_FOLDER } from '../manifest/history-names.js';
import { MANIFEST_STORED_NAME } from '../manifest/stored-names.js';
import { hashRegularFile } from '../util/hash-file.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { isCode } from './fs-errors.js';
import { fsyncFolder } from './fsync.js';
import type { HistoryFiles, HistoryShare, LegacyObject } from './history-files.js';
import { RealDirectories } from './real-dirs.js';

/**
 * History on disk, `<root>/<source>/.history/<user>/<share>/` (docs/format.md):
 * a hard link, not a copy — cheap, and the current path never goes missing
 * while it is replaced.
 */
export class FsHistoryFiles implements HistoryFiles {
  constructor(private readonly root: string) {}

  async keep(ref: HistoryShare, items: readonly { from: string; file: string }[]): Promise<boolean[]> {
    const dirs = new RealDirectories(this.root);
    const folders = new Set<string>();
    const kept = items.map(() => false);
    await runWorkerPool(items.map((item, index) => ({ ...item, index })), async ({ from, file, index }) => {
      const parts = file.split('/');
      const folder = await dirs.ensure([...historySegments(ref), ...parts.slice(0, -1)]);
      folders.add(folder);
      try {
        await link(from, path.join(folder, parts.at(-1) as string));
      } catch (error) {
        if (isCode(error, 'ENOENT')) return;
        // the same ciphertext is kept already: same bytes (every encryption has its own salt), one file
        if (!isCode(error, 'EEXIST')) throw error;
      }
      kept[index] = true;
    }, { concurrency: 8 });
    await runWorkerPool([...folders, ...dirs.created.map((created) => path.dirname(created))], fsyncFolder, { concurrency: 8 });
    return kept;
  }

  async remove(ref: HistoryShare, files: readonly string[]): Promise<void> {
    for (const file of files) {
      await unlink(this.location(ref, file)).catch((error: unknown) => {
        if (!isCode(error, 'ENOENT')) throw error;
      });
    }
  }

  location(ref: HistoryShare, file: string): string {
    return path.join(this.root, ...historySegments(ref), file);
  }

  currentManifest(ref: HistoryShare, kind: 'full' | 'delta', generation: number): string {
    const share = path.join(this.root, ref.source, ref.user, ref.share);
    return kind === 'full' ? path.join(share, MANIFEST_STORED_NAME) : path.join(share, JOURNAL_FOLDER, `${generation}.json.enc`);
  }

  async describe(from: string): Promise<LegacyObject | undefined> {
    const hashed = await hashRegularFile(from);
    if (hashed === undefined) return undefined;
    const stats = await stat(from).catch(() => undefined);
    return { ctSha256: hashed.sha256, size: hashed.size, storedAt: (stats?.mtime ?? new Date(0)).toISOString() };
  }
}

export function historySegments(ref: HistoryShare): string[] {
  return [ref.source, HISTORY_FOLDER, ref.user, ref.share];
}
