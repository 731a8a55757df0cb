import { relPathProblem } from '../manifest/rel-path.js';

/** As the peers hold names (src/incoming/safe-path.ts): a longer one could not be synced. */
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4096;
/** In a `u` regex a surrogate code unit only matches when it is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Why a path a browser sends for a new file or folder is refused, or
 * undefined. Pure. Stricter than a restore's manifest paths: the text is the
 * name written, so a backslash (a Windows separator, and the escape of file
 * keys) is refused rather than decoded, and a hidden name is refused because
 * hidden files are neither synced nor listed (the temporary files are hidden).
 */
export function uploadPathProblem(relPath: string): string | undefined {
  if (relPath.includes('\\')) return 'it contains a backslash';
  if (LONE_SURROGATE.test(relPath)) return 'it is not valid Unicode';
  const problem = relPathProblem(relPath);
  if (problem) return problem.replace(/^the path /, 'it ');
  if (Buffer.byteLength(relPath, 'utf8') > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;
  for (const segment of relPath.split('/')) {
    if (segment.startsWith('.')) return `"${segment.slice(0, 60)}" is a hidden name (starting with "."), which is neither synced nor listed`;
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a name is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}
