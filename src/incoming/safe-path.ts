import { AnemoneError } from '../errors/catalogue.js';
import { JOURNAL_FOLDER } from '../manifest/manifest-delta.js';
import { MANIFEST_STORED_NAME } from '../manifest/stored-names.js';

/**
 * The rules a stored path sent by a (possibly hostile) source must pass
 * before it is joined to a folder on this disk. Pure: no file system here;
 * symlinks are checked when writing (see real-dirs.ts).
 */
export const MAX_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 4096;
const STORED_SUFFIX = '.enc';
/** In a `u` regex a surrogate code unit only matches when it is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why `storedPath` is refused, or undefined when it is a safe stored name. */
export function storedPathProblem(storedPath: string): string | undefined {
  if (storedPath === '') return 'the path is empty';
  if (storedPath.includes('\0')) return 'the path contains a NUL character';
  if (storedPath.includes('\\')) return 'the path contains a backslash';
  if (storedPath.startsWith('/')) return 'the path is absolute';
  if (Buffer.byteLength(storedPath, 'utf8') > MAX_PATH_BYTES) return `the path is longer than ${MAX_PATH_BYTES} bytes`;
  // a lone surrogate would be written as U+FFFD: the file would land under another name than the one sent
  if (LONE_SURROGATE.test(storedPath)) return 'the path is not valid Unicode';
  if (storedPath.normalize('NFC') !== storedPath) return 'the path is not NFC-normalised';
  const segments = storedPath.split('/');
  for (const segment of segments) {
    if (segment === '') return 'the path has an empty part';
    if (segment === '.' || segment === '..') return `the path has a "${segment}" part`;
    // hidden names are this server's own (temporary files), and hidden files are never synced
    if (segment.startsWith('.')) return 'the path has a hidden part (starting with ".")';
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a part of the path is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  if (!storedPath.endsWith(STORED_SUFFIX)) return `the path does not end in "${STORED_SUFFIX}"`;
  // the manifest has its own route; nothing else may take its name, as a file or as a folder
  if (segments[0] === MANIFEST_STORED_NAME) return `"${MANIFEST_STORED_NAME}" is reserved for the manifest`;
  if (segments[0] === JOURNAL_FOLDER) return `"${JOURNAL_FOLDER}" is reserved for the manifest's journal`;
  return undefined;
}

/** The segments of `storedPath`, or PATH_INVALID naming the rule it breaks. */
export function safeStoredPathSegments(storedPath: string): string[] {
  const problem = storedPathProblem(storedPath);
  if (problem !== undefined) {
    const shown = JSON.stringify(storedPath.length > 200 ? `${storedPath.slice(0, 200)}…` : storedPath);
    throw new AnemoneError('PATH_INVALID', { message: `The file path ${shown} is not allowed: ${problem}` });
  }
  return storedPath.split('/');
}
