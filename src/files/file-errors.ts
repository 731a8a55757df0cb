/** Failures of the web file manager (browse, download, upload) in the API's terms. */
import { AnemoneError } from '../errors/catalogue.js';
import type { TargetErrors } from '../restore/safe-target.js';

/** Shown paths are cut short: a hostile name of 4 KiB is no message. */
export function shownPath(relPath: string): string {
  return JSON.stringify(relPath.length > 200 ? `${relPath.slice(0, 200)}…` : relPath);
}

export function pathRefused(relPath: string, why: string): AnemoneError {
  return new AnemoneError('FILE_PATH_REFUSED', { message: `The path ${shownPath(relPath)} is not accepted: ${why}` });
}

export function notFound(relPath: string): AnemoneError {
  return new AnemoneError('FILE_NOT_FOUND', { message: `${shownPath(relPath)} is not in the share` });
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function writeFailed(relPath: string, error: unknown): AnemoneError {
  if (isDiskFull(error)) return new AnemoneError('UPLOAD_DISK_FULL', { message: `${shownPath(relPath)} was not stored: the disk is full`, cause: error });
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error ? error.message : String(error));
  return new AnemoneError('FILE_WRITE_FAILED', { message: `${shownPath(relPath)} could not be written into the share (${code})`, cause: error });
}

/** How prepareTarget/prepareFolder word their refusals for an upload or a new folder. */
export const UPLOAD_TARGET_ERRORS: TargetErrors = {
  // a syntax problem was refused before (sharePathProblem); what is left is the share's own contents in the way
  unsafe: (relPath, why) => new AnemoneError('FILE_IN_THE_WAY', { message: `${shownPath(relPath)} was not stored: ${why}` }),
  failed: writeFailed,
};
