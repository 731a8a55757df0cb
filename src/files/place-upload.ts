/**
 * Moves a finished upload from the staging folder into the user's share.
 * The target's folders are made one by one and never followed through a
 * link (restore/safe-target.ts); the file takes its name with link(2), which
 * never replaces what is there and never follows a link at the name: an
 * existing file is kept and the upload is named `name (1).ext`, `name (2).ext`…
 */
import { constants } from 'node:fs';
import { copyFile, link, open, realpath, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { AnemoneError } from '../errors/catalogue.js';
import { fsyncFolder } from '../incoming/fsync.js';
import { prepareTarget } from '../restore/safe-target.js';
import { pathRefused, UPLOAD_TARGET_ERRORS, writeFailed } from './file-errors.js';
import { sharePathProblem, tempNameBeside } from '../shares/share-paths.js';

/** After this many names taken, the upload is refused rather than numbered further. */
const MAX_NUMBERED_NAMES = 999;

export interface PlacedUpload {
  /** Where the file landed in the share. */
  path: string;
  /** True when `path` is not the name asked for, because a file of that name was there. */
  renamed: boolean;
}

/**
 * Places `stagedPath` at `relPath` under `root` (or a numbered name beside
 * it). The staged file is linked, not copied, when it lies on the share's
 * file system; the caller removes the staged name afterwards.
 */
export async function placeUpload(input: { stagedPath: string; root: string; relPath: string; mtimeMs?: number | undefined }): Promise<PlacedUpload> {
  const { relPath } = input;
  const problem = sharePathProblem(relPath, 'refused');
  if (problem) throw pathRefused(relPath, problem);
  const target = (await prepareTarget(input.root, relPath, UPLOAD_TARGET_ERRORS)) as string;
  const folder = path.dirname(target);
  let source = input.stagedPath;
  let copied: string | undefined;
  try {
    await flushFile(source, input.mtimeMs);
    for (let number = 0; number <= MAX_NUMBERED_NAMES; number++) {
      const name = numberedName(path.basename(target), number);
      try {
        await link(source, path.join(folder, name));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        // the staging folder is on another disk than the share: a hidden copy beside the target first, flushed, then linked
        if (code === 'EXDEV' && copied === undefined) {
          copied = path.join(folder, tempNameBeside(name, 'upload'));
          await copyFile(source, copied, constants.COPYFILE_EXCL);
          await flushFile(copied, input.mtimeMs);
          source = copied;
          number -= 1;
          continue;
        }
        throw error;
      }
      // the share's own folder may be an administrator's link (to another disk); fsyncFolder refuses links
      await fsyncFolder(folder === path.resolve(input.root) ? await realpath(folder) : folder);
      const parent = path.posix.dirname(relPath);
      return { path: parent === '.' ? name : `${parent}/${name}`, renamed: number > 0 };
    }
    throw new AnemoneError('FILE_IN_THE_WAY', { message: `"${relPath}" was not stored: ${MAX_NUMBERED_NAMES} numbered copies of it are already in the folder`, hint: 'Tidy the folder up, then upload again.' });
  } catch (error) {
    throw error instanceof AnemoneError ? error : writeFailed(relPath, error);
  } finally {
    if (copied !== undefined) await rm(copied, { force: true });
  }
}

/** `name` for 0, else `stem (n).ext`: the number goes before the last extension, as file managers do. */
export function numberedName(name: string, number: number): string {
  if (number === 0) return name;
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  return `${stem} (${number})${extension}`;
}

/** Gives the file the client's modification time, and flushes it, so the share never holds a name for bytes still in memory. */
async function flushFile(filePath: string, mtimeMs: number | undefined): Promise<void> {
  if (mtimeMs !== undefined) await utimes(filePath, new Date(), new Date(mtimeMs));
  const handle = await open(filePath, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
