/**
 * Where a share's file is stored on a peer: `<relPath>.enc`. Root names that
 * start with `_` belong to the protocol (`_manifest.json.enc`), so a user path
 * starting with `_` gets one more `_`: the user's own `_manifest.json` is
 * stored as `__manifest.json.enc` and can never overwrite the manifest.
 */

export const MANIFEST_STORED_NAME = '_manifest.json.enc';
const STORED_SUFFIX = '.enc';
const RESERVED_PREFIX = '_';

export function storedNameFor(relPath: string): string {
  const escaped = relPath.startsWith(RESERVED_PREFIX) ? RESERVED_PREFIX + relPath : relPath;
  return escaped + STORED_SUFFIX;
}

/** The user path stored at `storedPath`, or null for the manifest and other protocol names. */
export function relPathForStored(storedPath: string): string | null {
  if (!storedPath.endsWith(STORED_SUFFIX)) return null;
  const escaped = storedPath.slice(0, -STORED_SUFFIX.length);
  if (escaped.startsWith(RESERVED_PREFIX + RESERVED_PREFIX)) return escaped.slice(1);
  if (escaped.startsWith(RESERVED_PREFIX) || escaped === '') return null;
  return escaped;
}
