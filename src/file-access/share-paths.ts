import { DEFAULT_SHARES } from '../accounts/names.js';

/** The folders a user sees at the root of /dav/: their shares, nothing else. */
export const SHARE_FOLDERS: readonly string[] = DEFAULT_SHARES.map((share) => share.name);

/** A path below the user's folder, as checked segments: the first is a share's name. */
export type ShareSegments = readonly string[];

const MAX_SEGMENT_BYTES = 255;

/**
 * Why a WebDAV path's segments (already percent-decoded) cannot name a place
 * in the user's shares, or undefined. The library has removed `.` and `..`
 * already; these are checked again because a segment joined to a folder on
 * disk must name exactly one entry in it, whatever the library did.
 */
export function segmentsProblem(segments: readonly string[]): string | undefined {
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') return 'the path has an empty, "." or ".." part';
    if (segment.includes('/') || segment.includes('\\')) return 'a name contains a slash';
    if (segment.includes('\0')) return 'a name contains a NUL character';
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a name is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  const [share] = segments;
  if (share !== undefined && !SHARE_FOLDERS.includes(share)) return `only ${SHARE_FOLDERS.join(' and ')} are here`;
  return undefined;
}
