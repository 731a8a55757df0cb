/**
 * The one set of rules for a path a person sends to reach a place in their
 * shares, used by WebDAV (`file-access/`), the web Files page (`files/`) and
 * the restore's temporary files: which roots exist, which names are refused,
 * and the hidden names our own writers give a file before it takes its name.
 * Pure: what is on disk (links, FIFOs, a folder in the way) is checked by the
 * callers, on the descriptor or the real path, at the moment they act.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_SHARES } from '../accounts/names.js';
import { relPathProblem } from '../manifest/rel-path.js';

/** The folders at the root of a user's folder (`shares/<user>/<name>`): the only places a request may name, nothing beside them. */
export const SHARE_NAMES: readonly string[] = DEFAULT_SHARES.map((share) => share.name);

/** A WebDAV path below the user's folder, as checked segments: the first is a share's name. */
export type ShareSegments = readonly string[];

export function isShareName(name: string): boolean {
  return SHARE_NAMES.includes(name);
}

/** As the peers hold names (src/incoming/safe-path.ts): a longer one could not be synced. */
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4096;
/** In a `u` regex a surrogate code unit only matches when it is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * The temporary names our writers use inside a share before a file takes its
 * name (a WebDAV upload, a Files upload copied across disks, a restored
 * file). Hidden, so the sync never sends half a file; never listed, and never
 * a name a request may read, write or delete: one would reach a file another
 * request is still writing.
 */
const DAV_TEMP_PREFIX = '.anemone-dav-';
const TEMP_MARKS = ['.anemone-upload-', '.anemone-restore-'] as const;
export type TempNameKind = 'upload' | 'restore';

/** A WebDAV upload's temporary name in its folder. */
export function davTempName(): string {
  return `${DAV_TEMP_PREFIX}${randomBytes(9).toString('hex')}`;
}

/** `.<name, first 40 characters>.anemone-<kind>-<random>`: the name it will take stays readable, and the whole fits in 255 bytes. */
export function tempNameBeside(name: string, kind: TempNameKind): string {
  return `.${Array.from(name).slice(0, 40).join('')}.anemone-${kind}-${randomBytes(6).toString('hex')}`;
}

/** True for a name one of our writers gave a file not finished yet. */
export function isTempName(name: string): boolean {
  return name.startsWith(DAV_TEMP_PREFIX) || (name.startsWith('.') && TEMP_MARKS.some((mark) => name.includes(mark)));
}

/** Whether a new name may be hidden: a WebDAV client writes `.DS_Store` and `._photo.jpg` as a matter of course; the Files page never does. */
export type HiddenNames = 'allowed' | 'refused';

/**
 * Why a path a person typed or dropped for a new or existing file or folder
 * (`/`-separated below a share, the name as written: no file-key escapes) is
 * refused, or undefined. A backslash (a Windows separator, and the escape of
 * file keys) is refused rather than decoded; a name longer than the peers
 * hold could not be synced; our temporary names are never reachable; other
 * hidden names only where `hidden` allows them.
 */
export function sharePathProblem(relPath: string, hidden: HiddenNames): string | undefined {
  if (relPath.includes('\\')) return 'it contains a backslash';
  if (LONE_SURROGATE.test(relPath)) return 'it is not valid Unicode';
  const problem = relPathProblem(relPath);
  if (problem) return problem.replace(/^the path /, 'it ');
  if (Buffer.byteLength(relPath, 'utf8') > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;
  for (const segment of relPath.split('/')) {
    const problem = segmentProblem(segment, hidden);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Why a file key from the Files page's listing (escaped parts allowed: a
 * name that is not UTF-8, manifest/file-keys.ts) cannot name an existing
 * entry to browse, download or delete, or undefined. The listing never shows
 * a hidden name, so none is reached this way either.
 */
export function shareKeyProblem(key: string): string | undefined {
  const problem = relPathProblem(key);
  if (problem) return problem;
  for (const segment of key.split('/')) {
    if (segment.startsWith('.')) return hiddenRefusal(segment);
  }
  return undefined;
}

/**
 * Why WebDAV path segments (percent-decoded; the first is a share's name)
 * cannot name a place in the user's folder, or undefined. `[]` is the root,
 * which lists the shares. Hidden names are allowed (clients write them), our
 * temporary names are not.
 */
export function davSegmentsProblem(segments: readonly string[]): string | undefined {
  // a segment holding a slash would join into two: it is refused before the path is joined
  if (segments.some((segment) => segment.includes('/'))) return 'a name contains a slash';
  const [share, ...inShare] = segments;
  if (share === undefined) return undefined;
  if (!isShareName(share)) return `only ${SHARE_NAMES.join(' and ')} are here`;
  return inShare.length === 0 ? undefined : sharePathProblem(inShare.join('/'), 'allowed');
}

function segmentProblem(segment: string, hidden: HiddenNames): string | undefined {
  if (isTempName(segment)) return `"${segment.slice(0, 60)}" is the name of a file the server is still writing`;
  if (hidden === 'refused' && segment.startsWith('.')) return hiddenRefusal(segment);
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a name is longer than ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

function hiddenRefusal(segment: string): string {
  return `"${segment.slice(0, 60)}" is a hidden name (starting with "."), which is neither synced nor listed`;
}
