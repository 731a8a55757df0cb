/**
 * The files of a share's manifest as one sync run builds it: the peer's
 * entries, then what arrives, then the deletions. One Map for the whole run,
 * changed in place, that also remembers what changed since the last write
 * (the next delta), so a checkpoint costs what arrived since the previous
 * one rather than the size of the share (issue 15: 200,000 files).
 */
import type { ManifestDelta } from './manifest-delta.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { ENTRY_JSON_MAX_BYTES, PackedEntries } from './packed-entries.js';

/** The Manifest fields around `files`. */
export type ManifestEnvelope = Omit<Manifest, 'files'>;

/** The plaintext JSON is built in pieces of this size, so no single buffer holds the whole manifest. */
const SERIALIZE_PIECE_BYTES = 1 << 20;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * The fewest bytes an entry takes in a delta's JSON (180): a one-character path, one-digit numbers and the two
 * 64-digit hex digests the schema requires, without the braces around the files.
 */
const SHORTEST_DIGEST = '0'.repeat(64);
export const ADDED_ENTRY_MIN_JSON_BYTES = JSON.stringify({ p: { size: 0, mtimeMs: 0, sha256: SHORTEST_DIGEST, ctSha256: SHORTEST_DIGEST } }).length - 2;

/**
 * What the Map holds for a path: a slot of `packed` (what the run set), or an
 * entry object — the peer's own, shared with its parsed manifest rather than
 * copied, or one that does not pack exactly.
 */
type Held = number | ManifestFile;

export class ManifestState {
  // a Map: fast with hundreds of thousands of keys, and `__proto__` is a name like any other
  private readonly files: Map<string, Held>;
  private readonly packed = new PackedEntries();
  private plaintextBytes = 0;
  /** Each path changed since the last `takeChanges`, with the entry it had then (undefined: none). */
  private changed = new Map<string, ManifestFile | undefined>();

  /** Starts from `files` (what the peer holds), which is not changed; nothing counts as changed yet. */
  constructor(files: Readonly<Record<string, ManifestFile>> | null) {
    this.files = new Map();
    if (files) {
      for (const relPath of Object.keys(files)) {
        const entry = files[relPath] as ManifestFile;
        this.files.set(relPath, entry);
        this.plaintextBytes += entry.size;
      }
    }
  }

  get(relPath: string): ManifestFile | undefined {
    return this.entryOf(this.files.get(relPath));
  }

  /** The entry of `relPath` has this size, mtime and plaintext SHA-256 (hex); nothing is built to compare. */
  agrees(relPath: string, size: number, mtimeMs: number, sha256: string): boolean {
    const held = this.files.get(relPath);
    if (held === undefined) return false;
    if (typeof held === 'number') return this.packed.agrees(held, size, mtimeMs, sha256);
    return held.size === size && held.mtimeMs === mtimeMs && held.sha256 === sha256;
  }

  /** Records `entry`, read now: packed, the object itself is not kept. */
  set(relPath: string, entry: ManifestFile): void {
    const held = this.files.get(relPath);
    this.remember(relPath, held);
    this.plaintextBytes += entry.size - (held === undefined ? 0 : this.sizeOf(held));
    if (typeof held === 'number') {
      // in place: the path keeps its position in the Map, as Map.set keeps it
      if (this.packed.write(held, entry)) return;
      this.packed.free(held);
      this.files.set(relPath, entry);
      return;
    }
    this.files.set(relPath, this.packed.add(entry) ?? entry);
  }

  delete(relPath: string): void {
    const held = this.files.get(relPath);
    if (held === undefined) return;
    this.remember(relPath, held);
    this.plaintextBytes -= this.sizeOf(held);
    if (typeof held === 'number') this.packed.free(held);
    this.files.delete(relPath);
  }

  /** The file count and plaintext bytes (sent to the peer for its snapshot list), kept as entries change. */
  totals(): { fileCount: number; bytes: number } {
    return { fileCount: this.files.size, bytes: this.plaintextBytes };
  }

  /**
   * What changed since the last call (or since the start), in a delta's
   * form, and starts counting again. A path set back to the entry it had is
   * no change.
   */
  takeChanges(): Pick<ManifestDelta, 'files' | 'deleted'> {
    // no prototype: a file may be called `__proto__`
    const files = Object.create(null) as Record<string, ManifestFile>;
    const deleted: string[] = [];
    for (const [relPath, before] of this.changed) {
      const now = this.get(relPath);
      if (now === undefined) {
        if (before !== undefined) deleted.push(relPath);
      } else if (before === undefined || !sameEntry(before, now)) {
        files[relPath] = now;
      }
    }
    this.changed = new Map();
    return { files, deleted };
  }

  /**
   * Forgets what changed since the last `takeChanges` without building the
   * delta (the write that follows is a full manifest, which lists every
   * entry): true when anything really changed, as `takeChanges` would have
   * said.
   */
  dropChanges(): boolean {
    let changed = false;
    for (const [relPath, before] of this.changed) {
      const now = this.files.get(relPath);
      if (now === undefined ? before !== undefined : before === undefined || !sameEntry(before, this.entryOf(now) as ManifestFile)) {
        changed = true;
        break;
      }
    }
    this.changed = new Map();
    return changed;
  }

  /**
   * At most the plaintext bytes of the delta `takeChanges` would give now:
   * each path added since the last call is an entry of at least
   * ADDED_ENTRY_MIN_JSON_BYTES. Counted without building any entry, so a
   * writer can tell that the delta is too large to send (a fold) first.
   */
  minChangeBytes(): number {
    let added = 0;
    for (const [relPath, before] of this.changed) if (before === undefined && this.files.has(relPath)) added += 1;
    return added * ADDED_ENTRY_MIN_JSON_BYTES;
  }

  /** The entries as a plain object with own keys only, as parseManifest gives them. */
  toFiles(): Manifest['files'] {
    const files: Manifest['files'] = {};
    for (const [relPath, held] of this.files) {
      Object.defineProperty(files, relPath, { value: this.entryOf(held), enumerable: true, writable: true, configurable: true });
    }
    return files;
  }

  /**
   * The full manifest's plaintext: the JSON `serializeManifest` gives for
   * `{ ...envelope, files }` (same fields, same order; the files in the order
   * they were added), built from the Map rather than from a copy as an object.
   */
  serialize(envelope: ManifestEnvelope): Buffer {
    return Buffer.concat([...this.serializedPieces(envelope)]);
  }

  /**
   * `serialize` in pieces of about 1 MiB, one at a time: the encryption takes them without joining them. Each
   * piece is written as bytes into a Buffer of its own (the reader may hold it), not built as strings: under the
   * lean mode's small young generation, the collections those strings set off were most of the CPU of a first
   * sync's manifest writes (each checkpoint, the final one, the source's copy; bench/README.md, issue 15).
   */
  *serializedPieces(envelope: ManifestEnvelope): Generator<Buffer> {
    const head = JSON.stringify({ ...envelope, files: {} });
    // `{…,"files":{}}`: the entries go between the last two braces
    const opening = head.slice(0, -2);
    // Buffer.write stops silently at the buffer's end: an envelope of more than a piece gets a first piece its size
    let piece = Buffer.allocUnsafe(Math.max(SERIALIZE_PIECE_BYTES, Buffer.byteLength(opening, 'utf8')));
    let end = piece.write(opening, 0, 'utf8');
    let first = true;
    for (const [relPath, held] of this.files) {
      const key = JSON.stringify(relPath);
      const entry = typeof held === 'number' ? undefined : JSON.stringify(held);
      // a UTF-8 byte for each of the key's (and entry's) UTF-16 units at most, three for a surrogate's half
      const room = 2 + 3 * key.length + (entry === undefined ? ENTRY_JSON_MAX_BYTES : 3 * entry.length);
      if (end + room > piece.length) {
        yield piece.subarray(0, end);
        piece = Buffer.allocUnsafe(Math.max(SERIALIZE_PIECE_BYTES, room + 2));
        end = 0;
      }
      if (!first) piece[end++] = COMMA;
      first = false;
      end += piece.write(key, end, 'utf8');
      piece[end++] = COLON;
      end = entry === undefined ? this.packed.writeJson(held as number, piece, end) : end + piece.write(entry, end, 'utf8');
    }
    if (end + 2 > piece.length) {
      yield piece.subarray(0, end);
      piece = Buffer.allocUnsafe(2);
      end = 0;
    }
    end += piece.write('}}', end, 'latin1');
    yield piece.subarray(0, end);
  }

  /** Keeps the entry a path had before its first change since the last `takeChanges` (as an object: its slot changes). */
  private remember(relPath: string, held: Held | undefined): void {
    if (!this.changed.has(relPath)) this.changed.set(relPath, this.entryOf(held));
  }

  private entryOf(held: Held | undefined): ManifestFile | undefined {
    return typeof held === 'number' ? this.packed.read(held) : held;
  }

  private sizeOf(held: Held): number {
    return typeof held === 'number' ? this.packed.sizeOf(held) : held.size;
  }
}

export function sameEntry(a: ManifestFile, b: ManifestFile): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.sha256 === b.sha256 && a.ctSha256 === b.ctSha256;
}
