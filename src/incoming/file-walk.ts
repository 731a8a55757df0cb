import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { isCode } from './fs-errors.js';

export interface WalkedFile {
  /** `/`-separated, relative to the walk's root. */
  relPath: string;
  fullPath: string;
  name: string;
}

/**
 * Every regular file below `root`, hidden ones included. It descends only
 * into real folders that are not hidden: symlinks are neither followed nor
 * listed, so a walk never leaves the tree. A missing root holds nothing.
 */
export async function* walkFiles(root: string): AsyncGenerator<WalkedFile> {
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relFolder = pending.pop() as string;
    let folder;
    try {
      folder = await opendir(path.join(root, relFolder));
    } catch (error) {
      if (isCode(error, 'ENOENT', 'ENOTDIR')) continue;
      throw error;
    }
    for await (const entry of folder) {
      const relPath = relFolder === '' ? entry.name : `${relFolder}/${entry.name}`;
      if (entry.isDirectory() && !entry.name.startsWith('.')) pending.push(relPath);
      else if (entry.isFile()) yield { relPath, fullPath: path.join(root, relPath), name: entry.name };
    }
  }
}
