import { lstat, mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { AnemoneError } from '../errors/catalogue.js';
import { isCode } from './fs-errors.js';

/**
 * Walks down from `root` one folder at a time with lstat, so a symlink
 * anywhere below it (which no source can create, but a local administrator
 * might) is refused instead of followed out of the tree. One instance per
 * request: what it checked once it does not check again, which keeps a
 * batch of a thousand files in the same folders cheap.
 */
export class RealDirectories {
  private readonly checked = new Map<string, Promise<boolean>>();
  /** Folders this instance made, in the order it made them. */
  readonly created: string[] = [];
  private readonly createdSet = new Set<string>();
  /** The size lstat gave each folder that was already there (for a folder, roughly its entries' bytes). */
  private readonly sizes = new Map<string, number>();

  constructor(private readonly root: string) {}

  /** The folder `root/segments…`, made where missing; PATH_INVALID when a part is a symlink or a file. */
  async ensure(segments: readonly string[]): Promise<string> {
    let current = this.root;
    for (const segment of segments) {
      current = path.join(current, segment);
      await this.step(current, true);
    }
    return current;
  }

  /** The folder `root/segments…` when it exists as real folders all the way down, else undefined. */
  async find(segments: readonly string[]): Promise<string | undefined> {
    let current = this.root;
    for (const segment of segments) {
      current = path.join(current, segment);
      if (!(await this.step(current, false))) return undefined;
    }
    return current;
  }

  /** True when this instance made `folder`: nothing was in it before. */
  madeHere(folder: string): boolean {
    return this.createdSet.has(folder);
  }

  /** The size of `folder` as lstat gave it, when it was there before this instance looked (undefined for one it made). */
  sizeOf(folder: string): number | undefined {
    return this.sizes.get(folder);
  }

  /** Removes the folders this instance made that are still empty (after a failed upload). */
  async removeCreatedIfEmpty(): Promise<void> {
    for (const folder of [...this.created].reverse()) {
      await rmdir(folder).catch(() => undefined);
    }
  }

  private step(folder: string, create: boolean): Promise<boolean> {
    const key = `${create ? '+' : '?'}${folder}`;
    let result = this.checked.get(key);
    if (!result) {
      result = this.check(folder, create);
      this.checked.set(key, result);
    }
    return result;
  }

  private async check(folder: string, create: boolean): Promise<boolean> {
    for (;;) {
      try {
        const stats = await lstat(folder);
        if (stats.isSymbolicLink()) throw refusal(folder, this.root, 'is a symbolic link');
        if (!stats.isDirectory()) throw refusal(folder, this.root, 'is a file, not a folder');
        this.sizes.set(folder, stats.size);
        return true;
      } catch (error) {
        if (!isCode(error, 'ENOENT')) throw error;
      }
      if (!create) return false;
      try {
        await mkdir(folder);
        this.created.push(folder);
        this.createdSet.add(folder);
        return true;
      } catch (error) {
        // made by a concurrent request in between: check what is there now
        if (!isCode(error, 'EEXIST')) throw error;
      }
    }
  }
}

/**
 * The size of the regular file at `filePath`, or undefined when nothing is
 * there; PATH_INVALID when a symlink or a folder sits at that name.
 */
export async function existingFileSize(filePath: string, root: string): Promise<number | undefined> {
  try {
    const stats = await lstat(filePath);
    if (stats.isSymbolicLink()) throw refusal(filePath, root, 'is a symbolic link');
    if (!stats.isFile()) throw refusal(filePath, root, 'is not a regular file');
    return stats.size;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function refusal(fullPath: string, root: string, what: string): AnemoneError {
  const shown = path.relative(root, fullPath).split(path.sep).join('/');
  return new AnemoneError('PATH_INVALID', { message: `The file path is not allowed: "${shown}" ${what} on this server` });
}
