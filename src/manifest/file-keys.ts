/**
 * File keys: the manifest's name for a file (its "relPath", also the file's
 * identity in the key derivation, FORMAT.md `field(relPath)`), made from the
 * raw bytes of each path component as the file system holds them.
 *
 * - An ordinary component (valid UTF-8, NFC, no backslash) is its own text,
 *   exactly as before this mapping existed: existing backups keep their keys.
 * - Any other component (bytes that are not UTF-8, an NFD name as macOS
 *   writes it, a name with a backslash) is `\` followed by the lowercase hex
 *   of its raw bytes. An ordinary component never contains a backslash, so an
 *   escaped one can never equal an ordinary one; hex is case-fixed, so each
 *   byte string has exactly one key. The key is plain ASCII, hence NFC.
 *
 * Pure: no file system here.
 */
import path from 'node:path';
import { isUtf8 } from 'node:buffer';

const ESCAPE = '\\';
const HEX_PART = /^\\(?:[0-9a-f]{2})+$/;
const SLASH = 0x2f;

/** A path as the file system takes it: text when every component is UTF-8, else the exact bytes. */
export type FsPath = string | Buffer;

/** Whether a name is kept as its own text in a key (UTF-8, NFC, no backslash). */
export function isOrdinaryName(raw: Buffer): boolean {
  if (!isUtf8(raw)) return false;
  const text = raw.toString('utf8');
  return !text.includes(ESCAPE) && text.normalize('NFC') === text;
}

/** The key part for one component's raw bytes. */
export function keyPartFor(raw: Buffer): string {
  return isOrdinaryName(raw) ? raw.toString('utf8') : ESCAPE + raw.toString('hex');
}

export function isEscapedPart(part: string): boolean {
  return part.startsWith(ESCAPE);
}

/** The raw bytes a key part stands for (the reverse of keyPartFor). */
export function rawPartOf(part: string): Buffer {
  return isEscapedPart(part) ? Buffer.from(part.slice(1), 'hex') : Buffer.from(part, 'utf8');
}

export function rawPartsOf(key: string): Buffer[] {
  return key.split('/').map(rawPartOf);
}

/**
 * What a person reads for a key part: the name decoded as UTF-8. Lossy on
 * purpose: bytes that are not UTF-8 show as U+FFFD, and an NFD name looks
 * like its NFC twin. Downloads and restores address files by key, never by
 * this text.
 */
export function displayPart(part: string): string {
  return isEscapedPart(part) ? rawPartOf(part).toString('utf8') : part;
}

export function displayPath(key: string): string {
  return key.split('/').map(displayPart).join('/');
}

/** Whether the key has a part the peer cannot hold as a name (escaped parts carry a backslash). */
export function hasEscapedPart(key: string): boolean {
  return key.includes(ESCAPE);
}

/**
 * Why a key part is malformed, or undefined. An escaped part must be
 * canonical (lowercase hex of bytes that are not an ordinary name), so a
 * manifest cannot give one file two keys; its bytes must be a name a file
 * system allows.
 */
export function keyPartProblem(part: string): string | undefined {
  if (!isEscapedPart(part)) return part.includes(ESCAPE) ? 'a part of the path contains a backslash' : undefined;
  if (!HEX_PART.test(part)) return 'an escaped part of the path is not lowercase hex';
  const raw = rawPartOf(part);
  if (raw.includes(0) || raw.includes(SLASH)) return 'an escaped part of the path holds a NUL or "/"';
  if (isOrdinaryName(raw)) return 'an escaped part of the path is an ordinary name';
  const text = raw.toString('latin1');
  if (text === '.' || text === '..') return `the path has a "${text}" part`;
  return undefined;
}

/** `parent/name`, as text while both are text, else as bytes. */
export function childPath(parent: FsPath, raw: Buffer): FsPath {
  if (typeof parent === 'string' && isUtf8(raw)) return parent + path.sep + raw.toString('utf8');
  return Buffer.concat([typeof parent === 'string' ? Buffer.from(parent, 'utf8') : parent, Buffer.from(path.sep), raw]);
}

/** Where the file a key names lives under `root`: the exact bytes of every component. */
export function fsPathFor(root: string, key: string): FsPath {
  let target: FsPath = path.resolve(root);
  for (const raw of rawPartsOf(key)) target = childPath(target, raw);
  return target;
}

/** The key as a path relative to the share, as the file system names it: the key itself for ordinary names, else the exact bytes. */
export function fsRelPathFor(key: string): FsPath {
  if (!hasEscapedPart(key)) return key;
  const parts = rawPartsOf(key);
  if (parts.every((part) => isUtf8(part))) return parts.map((part) => part.toString('utf8')).join('/');
  return Buffer.concat(parts.flatMap((part, index): Buffer[] => (index === 0 ? [part] : [Buffer.from('/'), part])));
}

/** A path for messages and logs. */
export function showFsPath(target: FsPath): string {
  return typeof target === 'string' ? target : target.toString('utf8');
}

/** The last component of a path, decoded for display (lossy where not UTF-8). */
export function baseNameOf(target: FsPath): string {
  return typeof target === 'string' ? path.basename(target) : path.basename(target.toString('utf8'));
}

/** The folder holding `target`. */
export function parentOf(target: FsPath): FsPath {
  if (typeof target === 'string') return path.dirname(target);
  const sep = target.lastIndexOf(path.sep);
  return sep <= 0 ? Buffer.from(path.sep) : target.subarray(0, sep);
}

/** `name` beside `target`, in the same folder (a temporary file, say). */
export function siblingPath(target: FsPath, name: string): FsPath {
  return childPath(parentOf(target), Buffer.from(name, 'utf8'));
}
