import { lstat, mkdir, opendir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_SHARES } from '../accounts/names.js';
import type { Repositories, ShareRow } from '../db/index.js';

export interface ShareSummary {
  id: number;
  name: string;
  syncEnabled: boolean;
  fileCount: number;
  sizeBytes: number;
  path: string;
}

/** Users' shares: the rows in the database and the folders under the shares directory. */
export class ShareService {
  private readonly sizes = new Map<number, { at: number; measured: Promise<{ fileCount: number; sizeBytes: number }> }>();

  constructor(
    private readonly repos: Pick<Repositories, 'shares'>,
    private readonly sharesDir: string,
  ) {}

  /** Inserts the default share rows; call inside the transaction that creates the user. */
  insertDefaultShares(userId: number, createdAt: string): void {
    for (const share of DEFAULT_SHARES) {
      this.repos.shares.insert({ userId, name: share.name, syncEnabled: share.syncEnabled, createdAt });
    }
  }

  async createShareFolders(username: string): Promise<void> {
    for (const share of DEFAULT_SHARES) {
      await mkdir(this.sharePath(username, share.name), { recursive: true });
    }
  }

  sharePath(username: string, shareName: string): string {
    return path.join(this.userFolder(username), shareName);
  }

  /** The folder holding a user's shares (WebDAV shows it as their root). */
  userFolder(username: string): string {
    return path.join(this.sharesDir, username);
  }

  /** The folder of the user's share of that name, or undefined when the user has no such share. */
  folderOf(user: { id: number; username: string }, shareName: string): string | undefined {
    const owned = this.repos.shares.listForUser(user.id).some((row) => row.name === shareName);
    return owned ? this.sharePath(user.username, shareName) : undefined;
  }

  async listForUser(userId: number): Promise<ShareSummary[]> {
    const rows = this.repos.shares.listForUser(userId);
    return Promise.all(rows.map((row) => this.summarise(row)));
  }

  /**
   * File count and bytes of each share, measured at most once per
   * SIZE_FRESH_MS: the overview polls, and walking a large share on every
   * poll would cost more than a slightly old size is worth.
   */
  async sizesOf(rows: readonly ShareRow[]): Promise<Map<number, { fileCount: number; sizeBytes: number }>> {
    const now = performance.now();
    const sizes = await Promise.all(
      rows.map(async (row) => {
        const held = this.sizes.get(row.id);
        if (held && now - held.at < SIZE_FRESH_MS) return [row.id, await held.measured] as const;
        const measured = measureFolder(this.sharePath(row.username, row.name));
        this.sizes.set(row.id, { at: now, measured });
        // a failed walk is not kept: the next poll measures again
        measured.catch(() => this.sizes.delete(row.id));
        return [row.id, await measured] as const;
      }),
    );
    return new Map(sizes);
  }

  private async summarise(row: ShareRow): Promise<ShareSummary> {
    const sharePath = this.sharePath(row.username, row.name);
    const { fileCount, sizeBytes } = await measureFolder(sharePath);
    return { id: row.id, name: row.name, syncEnabled: row.syncEnabled, fileCount, sizeBytes, path: sharePath };
  }
}

/** How long a share's measured size is shown before it is measured again. */
const SIZE_FRESH_MS = 30_000;

/**
 * Counts the regular files and their bytes under `root`, skipping hidden
 * entries as the sync does. A missing folder counts as empty.
 */
export async function measureFolder(root: string): Promise<{ fileCount: number; sizeBytes: number }> {
  let fileCount = 0;
  let sizeBytes = 0;
  const pending = [root];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    let directory;
    try {
      directory = await opendir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for await (const entry of directory) {
      if (entry.name.startsWith('.')) continue;
      const entryPath = path.join(folder, entry.name);
      if (entry.isDirectory()) pending.push(entryPath);
      else if (entry.isFile()) {
        // lstat: a file swapped for a link since the listing must not count its target's size
        const found = await lstat(entryPath).catch(() => undefined);
        if (!found?.isFile()) continue;
        fileCount += 1;
        sizeBytes += found.size;
      }
    }
  }
  return { fileCount, sizeBytes };
}
