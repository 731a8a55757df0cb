import { isUtf8 } from 'node:buffer';

export type NameProblem = 'name-not-utf8' | 'name-not-nfc' | 'name-has-backslash';

const DOT = 0x2e;

/** Hidden entries (`.git`, `.DS_Store`, …) are not synced, and not reported either. */
export function isHiddenName(raw: Buffer): boolean {
  return raw[0] === DOT;
}

/**
 * A directory entry's name as text, and why it cannot be synced if it cannot.
 * Names are read as bytes because Linux allows any bytes in a name: decoding
 * them lossily would turn two different names into one relPath. The format
 * derives each file's key from its relPath in NFC, and peers refuse
 * unnormalised names and backslashes, so such names are reported, not sent.
 */
export function decodeEntryName(raw: Buffer): { name: string; problem?: NameProblem } {
  const name = raw.toString('utf8');
  if (!isUtf8(raw)) return { name, problem: 'name-not-utf8' };
  if (name.includes('\\')) return { name, problem: 'name-has-backslash' };
  if (name.normalize('NFC') !== name) return { name, problem: 'name-not-nfc' };
  return { name };
}
