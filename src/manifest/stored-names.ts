/**
 * Where a share's file is stored on a peer: `<relPath>.enc`. Root names that
 * start with `_` belong to the protocol (`_manifest.json.enc`), so a user path
 * starting with `_` gets one more `_`: the user's own `_manifest.json` is
 * stored as `__manifest.json.enc` and can never overwrite the manifest.
 *
 * A key the peer could not hold under its own name — an escaped part (see
 * file-keys.ts), a part over 255 bytes once `_` or `.enc` is added, or a path
 * over 4,096 bytes, the limits of the peer's safe-path.ts — is stored as
 * `_hashed/<SHA-256 of the key, hex>.enc`. Every name the peer accepted before
 * keeps its place. The real name is in the encrypted manifest: a hashed name
 * is resolved through it (`storedNameIndex`), never guessed from the file.
 */
import { createHash } from 'node:crypto';
import { hasEscapedPart } from './file-keys.js';

export const MANIFEST_STORED_NAME = '_manifest.json.enc';
/** The protocol's folder for files stored under the hash of their key. */
export const HASHED_FOLDER = '_hashed';
const STORED_SUFFIX = '.enc';
const RESERVED_PREFIX = '_';
/** The peer's limits (src/incoming/safe-path.ts checks stored paths against the same numbers). */
export const MAX_STORED_PART_BYTES = 255;
export const MAX_STORED_PATH_BYTES = 4096;

export function storedNameFor(relPath: string): string {
  const escaped = relPath.startsWith(RESERVED_PREFIX) ? RESERVED_PREFIX + relPath : relPath;
  const stored = escaped + STORED_SUFFIX;
  return fitsPeer(stored) && !hasEscapedPart(relPath) ? stored : hashedNameFor(relPath);
}

export function hashedNameFor(relPath: string): string {
  return `${HASHED_FOLDER}/${createHash('sha256').update(relPath, 'utf8').digest('hex')}${STORED_SUFFIX}`;
}

function fitsPeer(stored: string): boolean {
  if (Buffer.byteLength(stored, 'utf8') > MAX_STORED_PATH_BYTES) return false;
  return stored.split('/').every((part) => Buffer.byteLength(part, 'utf8') <= MAX_STORED_PART_BYTES);
}

/**
 * The user path stored at `storedPath` when its name tells it, or null for
 * the manifest, hashed names and other protocol names. Hashed names need the
 * manifest: see `storedNameIndex`.
 */
export function relPathForStored(storedPath: string): string | null {
  if (!storedPath.endsWith(STORED_SUFFIX)) return null;
  const escaped = storedPath.slice(0, -STORED_SUFFIX.length);
  let relPath: string | null = escaped;
  if (escaped.startsWith(RESERVED_PREFIX + RESERVED_PREFIX)) relPath = escaped.slice(1);
  else if (escaped.startsWith(RESERVED_PREFIX) || escaped === '') relPath = null;
  // only a name stored under itself reads back; the others are found through the manifest
  return relPath !== null && storedNameFor(relPath) === storedPath ? relPath : null;
}

/** stored name → key, for the keys a manifest lists: how hashed names are resolved. */
export function storedNameIndex(relPaths: Iterable<string>): Map<string, string> {
  const index = new Map<string, string>();
  for (const relPath of relPaths) index.set(storedNameFor(relPath), relPath);
  return index;
}
