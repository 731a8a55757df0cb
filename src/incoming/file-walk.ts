import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { isCode } from './fs-errors.js';

export interface WalkedFile {
  /** `/`-separated, relative to the walk's root. */
  relPath: string;
  fullPath: string;
  name: string;
}

/** Hidden folders (`.history`, `.partial`) are not entered unless the caller says otherwise. */
const notHidden = (_relFolder: string, name: string) => !name.startsWith('.');

/**
 * Every regular file below `root`, hidden ones included. It descends only
 * into real folders `enter` accepts (by default those that are not hidden):
 * symlinks are neither followed nor listed, so a walk never leaves the
 * tree. A missing root holds nothing.
 */
export async function* walkFiles(root: string, enter: (relFolder: string, name: string) => boolean = notHidden): AsyncGenerator<WalkedFile> {
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
      if (entry.isDirectory() && enter(relFolder, entry.name)) pending.push(relPath);
      else if (entry.isFile()) yield { relPath, fullPath: path.join(root, relPath), name: entry.name };
    }
  }
}
