/**
 * Manifest entries held as numbers and bytes rather than as an object with
 * two 64-character hex strings each: ~80 bytes an entry in chunks of typed
 * arrays instead of ~230 on V8's heap (issue 15: the sender's memory in a
 * first sync of 200,000 files). ManifestState keeps a slot number per path;
 * the hex digests come back as strings only when an entry is read or
 * serialized.
 */
import type { ManifestFile } from './manifest.js';

/** Entries per chunk: the chunks grow one at a time, never copied into a larger one. */
const CHUNK_ENTRIES = 1024;
const DIGEST_BYTES = 32;
/** sha256, then ctSha256. */
const SLOT_DIGEST_BYTES = 2 * DIGEST_BYTES;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The own keys of an entry that packs, in this order: its JSON is then exactly `writeJson`'s. */
const ENTRY_KEYS = ['size', 'mtimeMs', 'sha256', 'ctSha256'] as const;

interface Chunk {
  /** size, mtimeMs of each slot. */
  numbers: Float64Array;
  /** sha256, ctSha256 of each slot, as bytes. */
  digests: Buffer;
}

export class PackedEntries {
  private readonly chunks: Chunk[] = [];
  private slotsUsed = 0;
  /** Slots given back by `free`, taken again before new ones. */
  private readonly freeSlots: number[] = [];

  /**
   * A slot holding `entry`, or undefined when the entry does not pack
   * exactly (keys other than the four, in another order, or digests that
   * are not 64 lowercase hex digits): the caller then keeps the object.
   */
  add(entry: ManifestFile): number | undefined {
    if (!packs(entry)) return undefined;
    const slot = this.freeSlots.pop() ?? this.newSlot();
    this.store(slot, entry);
    return slot;
  }

  /** Overwrites a slot with `entry`; false (the slot unchanged) when the entry does not pack. */
  write(slot: number, entry: ManifestFile): boolean {
    if (!packs(entry)) return false;
    this.store(slot, entry);
    return true;
  }

  free(slot: number): void {
    this.freeSlots.push(slot);
  }

  read(slot: number): ManifestFile {
    const { numbers, digests, index } = this.locate(slot);
    const at = index * SLOT_DIGEST_BYTES;
    return {
      size: numbers[2 * index] as number,
      mtimeMs: numbers[2 * index + 1] as number,
      sha256: digests.toString('hex', at, at + DIGEST_BYTES),
      ctSha256: digests.toString('hex', at + DIGEST_BYTES, at + SLOT_DIGEST_BYTES),
    };
  }

  sizeOf(slot: number): number {
    const { numbers, index } = this.locate(slot);
    return numbers[2 * index] as number;
  }

  /** The slot has this size, mtime and plaintext SHA-256 (hex), without building its entry. */
  agrees(slot: number, size: number, mtimeMs: number, sha256: string): boolean {
    const { numbers, digests, index } = this.locate(slot);
    const at = index * SLOT_DIGEST_BYTES;
    return numbers[2 * index] === size && numbers[2 * index + 1] === mtimeMs && digests.toString('hex', at, at + DIGEST_BYTES) === sha256;
  }

  /**
   * Writes `JSON.stringify` of the slot's entry, byte for byte (the entry packed only with its keys in this order),
   * into `target` at `at`, which has room for ENTRY_JSON_MAX_BYTES; returns where it ends. Straight into the bytes:
   * no string per entry, so a full manifest's JSON makes next to no garbage on V8's heap (issue 15).
   */
  writeJson(slot: number, target: Buffer, at: number): number {
    const { numbers, digests, index } = this.locate(slot);
    const from = index * SLOT_DIGEST_BYTES;
    let end = writeAscii(target, at, SIZE_KEY);
    end = writeJsonNumber(target, end, numbers[2 * index] as number);
    end = writeAscii(target, end, MTIME_KEY);
    end = writeJsonNumber(target, end, numbers[2 * index + 1] as number);
    end = writeAscii(target, end, SHA256_KEY);
    end = writeHex(target, end, digests, from);
    end = writeAscii(target, end, CT_SHA256_KEY);
    end = writeHex(target, end, digests, from + DIGEST_BYTES);
    return writeAscii(target, end, ENTRY_END);
  }

  private store(slot: number, entry: ManifestFile): void {
    const { numbers, digests, index } = this.locate(slot);
    numbers[2 * index] = entry.size;
    numbers[2 * index + 1] = entry.mtimeMs;
    const at = index * SLOT_DIGEST_BYTES;
    digests.write(entry.sha256, at, DIGEST_BYTES, 'hex');
    digests.write(entry.ctSha256, at + DIGEST_BYTES, DIGEST_BYTES, 'hex');
  }

  private newSlot(): number {
    const slot = this.slotsUsed;
    if (slot === this.chunks.length * CHUNK_ENTRIES) {
      this.chunks.push({ numbers: new Float64Array(2 * CHUNK_ENTRIES), digests: Buffer.alloc(CHUNK_ENTRIES * SLOT_DIGEST_BYTES) });
    }
    this.slotsUsed += 1;
    return slot;
  }

  private locate(slot: number): Chunk & { index: number } {
    const chunk = this.chunks[Math.floor(slot / CHUNK_ENTRIES)] as Chunk;
    return { numbers: chunk.numbers, digests: chunk.digests, index: slot % CHUNK_ENTRIES };
  }
}

function packs(entry: ManifestFile): boolean {
  let keys = 0;
  for (const key in entry) {
    if (key !== ENTRY_KEYS[keys]) return false;
    keys += 1;
  }
  return (
    keys === ENTRY_KEYS.length &&
    typeof entry.size === 'number' &&
    typeof entry.mtimeMs === 'number' &&
    typeof entry.sha256 === 'string' &&
    SHA256_HEX.test(entry.sha256) &&
    typeof entry.ctSha256 === 'string' &&
    SHA256_HEX.test(entry.ctSha256)
  );
}

/** Room enough for what `writeJson` writes: the keys and quotes, two numbers (a double takes at most 25 characters), two digests. */
export const ENTRY_JSON_MAX_BYTES = '{"size":,"mtimeMs":,"sha256":"","ctSha256":""}'.length + 2 * 32 + 4 * DIGEST_BYTES;

const SIZE_KEY = Buffer.from('{"size":', 'latin1');
const MTIME_KEY = Buffer.from(',"mtimeMs":', 'latin1');
const SHA256_KEY = Buffer.from(',"sha256":"', 'latin1');
const CT_SHA256_KEY = Buffer.from('","ctSha256":"', 'latin1');
const ENTRY_END = Buffer.from('"}', 'latin1');

function writeAscii(target: Buffer, at: number, bytes: Buffer): number {
  target.set(bytes, at);
  return at + bytes.length;
}

/** Each byte's two lower-case hex digits, as character codes. */
const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1');

function writeHex(target: Buffer, at: number, digests: Buffer, from: number): number {
  for (let i = 0; i < DIGEST_BYTES; i++) {
    const byte = digests[from + i] as number;
    target[at + 2 * i] = HEX_CODES[byte >> 4] as number;
    target[at + 2 * i + 1] = HEX_CODES[byte & 15] as number;
  }
  return at + 2 * DIGEST_BYTES;
}

/**
 * What JSON.stringify writes for a number (`null` for NaN and the infinities, `0` for -0), at `at`; returns where
 * it ends. A safe non-negative integer (sizes, whole milliseconds) is written digit by digit, with no string.
 */
function writeJsonNumber(target: Buffer, at: number, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 0)) return at + target.write(Number.isFinite(value) ? String(value) : 'null', at, 'latin1');
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  let rest = value;
  for (let i = at + digits - 1; i >= at; i--) {
    target[i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}
