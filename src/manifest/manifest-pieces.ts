/**
 * A full manifest's JSON parsed from the pieces it was saved in, one piece at
 * a time: the whole JSON is never one string. ManifestState.serializedPieces
 * ends every piece after a whole entry, so the first piece is the envelope
 * and the first entries, each later one more entries, the last one the two
 * closing braces too. At 50,000 files the whole string was ~8.5 MB beside
 * the entries the parse builds: the sender's peak in a "1 % changed" run
 * (issue 15, bench/README.md).
 */
import { manifestOf, type Manifest } from './manifest.js';

const COMMA = 0x2c;
const CLOSE = 0x7d;
const PROTO_KEY = '__proto__';

/**
 * The manifest of `pieces` (their join is the JSON), or undefined when they
 * are not split after whole entries (one piece, a copy saved otherwise, or
 * bytes that are not such JSON at all): the caller then parses the join
 * whole, which gives the same manifest or the error `parseManifest` gives.
 * When each piece parses as below, their join is that same JSON: a piece's
 * members are whole only when it ends between two entries. Throws what
 * `parseManifest` throws for a manifest that is JSON of the wrong form.
 */
export function parseManifestPieces(pieces: Iterable<Buffer>): Manifest | undefined {
  let raw: { files?: unknown } | undefined;
  let files: Record<string, unknown> | undefined;
  let entriesSeen = false;
  // each piece waits for the next: only the last one holds the closing braces
  let held: Buffer | undefined;
  for (const piece of pieces) {
    if (held !== undefined) {
      if (raw === undefined) {
        raw = firstPiece(held);
        files = raw && filesOf(raw);
        if (files === undefined) return undefined;
        entriesSeen = Object.keys(files).length > 0;
      } else {
        const added = laterPiece(held, entriesSeen, false);
        if (added === undefined) return undefined;
        entriesSeen = merge(files as Record<string, unknown>, added) || entriesSeen;
      }
    }
    held = piece;
  }
  if (raw === undefined || held === undefined) return undefined;
  const added = laterPiece(held, entriesSeen, true);
  if (added === undefined) return undefined;
  merge(files as Record<string, unknown>, added);
  return manifestOf(raw);
}

/** The envelope and the first entries, with the two braces the last piece will close them with. */
function firstPiece(piece: Buffer): { files?: unknown } | undefined {
  const parsed = jsonValue(`${piece.toString('utf8')}}}`);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : undefined;
}

/** A later piece's entries (after the comma that follows an earlier entry), as an object of their own. */
function laterPiece(piece: Buffer, entriesSeen: boolean, last: boolean): Record<string, unknown> | undefined {
  let start = 0;
  let end = piece.length;
  if (last) {
    if (end < 2 || piece[end - 1] !== CLOSE || piece[end - 2] !== CLOSE) return undefined;
    end -= 2;
  }
  if (end > start && entriesSeen) {
    if (piece[start] !== COMMA) return undefined;
    start += 1;
  }
  const entries = jsonValue(`{${piece.toString('utf8', start, end)}}`);
  return typeof entries === 'object' && entries !== null && !Array.isArray(entries) ? (entries as Record<string, unknown>) : undefined;
}

/** The first piece's `files`, its last member (what the later pieces continue), when it is an object. */
function filesOf(raw: { files?: unknown }): Record<string, unknown> | undefined {
  const keys = Object.keys(raw);
  if (keys[keys.length - 1] !== 'files') return undefined;
  const files = raw.files;
  return typeof files === 'object' && files !== null && !Array.isArray(files) ? (files as Record<string, unknown>) : undefined;
}

/** Adds `added`'s entries to `files` as JSON.parse would have read them there (a later duplicate wins); true when there were any. */
function merge(files: Record<string, unknown>, added: Record<string, unknown>): boolean {
  const keys = Object.keys(added);
  for (const relPath of keys) {
    // a file named __proto__ is a name like any other, never the object's prototype
    if (relPath === PROTO_KEY) Object.defineProperty(files, PROTO_KEY, { value: added[relPath], enumerable: true, writable: true, configurable: true });
    else files[relPath] = added[relPath];
  }
  return keys.length > 0;
}

function jsonValue(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}
