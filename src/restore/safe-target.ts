/**
 * Where a restored file may land: inside its share, whatever the manifest
 * or the share's current contents say. A path from a manifest is checked
 * (no `..`, no absolute path…), its folders are created one by one and never
 * followed through a symbolic link, and the folder reached is checked once
 * more by its real path.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AnemoneError } from '../errors/catalogue.js';
import { baseNameOf, childPath, rawPartsOf, type FsPath } from '../manifest/file-keys.js';
import { relPathProblem } from '../manifest/rel-path.js';
import { unsafePath, writeFailed } from './restore-errors.js';

/** How a caller words a refusal (`unsafe`) and a file system failure (`failed`); a restore's by default. */
export interface TargetErrors {
  unsafe(relPath: string, why: string): AnemoneError;
  failed(relPath: string, error: unknown): AnemoneError;
}

const RESTORE_TARGET_ERRORS: TargetErrors = { unsafe: unsafePath, failed: writeFailed };

/**
 * The absolute path for `relPath` (a file key, manifest/file-keys.ts) under
 * `root`, with its folders made; the file itself is not touched. Names are
 * written back byte for byte: the path is in bytes where a name is not UTF-8.
 */
export async function prepareTarget(root: string, relPath: string, errors: TargetErrors = RESTORE_TARGET_ERRORS): Promise<FsPath> {
  const problem = relPathProblem(relPath);
  if (problem) throw errors.unsafe(relPath, problem);
  const segments = rawPartsOf(relPath);
  const fileName = segments.pop() as Buffer;
  try {
    const folder = await prepareFolderParts(root, segments, relPath, errors);
    const target = childPath(folder, fileName);
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw errors.unsafe(relPath, 'a folder of that name is in the way');
    return target;
  } catch (error) {
    throw error instanceof AnemoneError ? error : errors.failed(relPath, error);
  }
}

/** The absolute path of the folder `relPath` under `root`, made (with its parents) as `prepareTarget` makes a file's folders. */
export async function prepareFolder(root: string, relPath: string, errors: TargetErrors = RESTORE_TARGET_ERRORS): Promise<FsPath> {
  const problem = relPathProblem(relPath);
  if (problem) throw errors.unsafe(relPath, problem);
  try {
    return await prepareFolderParts(root, rawPartsOf(relPath), relPath, errors);
  } catch (error) {
    throw error instanceof AnemoneError ? error : errors.failed(relPath, error);
  }
}

/** Makes each folder of `segments` under `root`, never through a link, and checks the last one by its real path. */
async function prepareFolderParts(root: string, segments: Buffer[], relPath: string, errors: TargetErrors): Promise<FsPath> {
  await mkdir(root, { recursive: true });
  let folder: FsPath = path.resolve(root);
  for (const segment of segments) {
    folder = childPath(folder, segment);
    await ensureRealFolder(folder, relPath, errors);
  }
  const [realRoot, realFolder] = await Promise.all([realpath(root), realpath(folder, { encoding: 'buffer' })]);
  const rootBytes = Buffer.from(realRoot);
  const inside = realFolder.equals(rootBytes) || realFolder.subarray(0, rootBytes.length + 1).equals(Buffer.from(realRoot + path.sep));
  if (!inside) throw errors.unsafe(relPath, 'its folder resolves outside the share');
  return folder;
}

async function ensureRealFolder(folder: FsPath, relPath: string, errors: TargetErrors): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const found = await lstat(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (found?.isDirectory()) return;
    if (found?.isSymbolicLink()) throw errors.unsafe(relPath, `"${baseNameOf(folder)}" in the share is a symbolic link, which is never followed`);
    if (found) throw errors.unsafe(relPath, `a file named "${baseNameOf(folder)}" is where a folder belongs`);
    try {
      await mkdir(folder);
      return;
    } catch (error) {
      // another file of the same restore made it meanwhile: look again
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
