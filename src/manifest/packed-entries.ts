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
/** The own keys of an entry that packs, in this order: its JSON is then exactly `jsonOf`'s. */
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

  /** `JSON.stringify` of the slot's entry, byte for byte (the entry packed only with its keys in this order). */
  jsonOf(slot: number): string {
    const { numbers, digests, index } = this.locate(slot);
    const at = index * SLOT_DIGEST_BYTES;
    const size = jsonNumber(numbers[2 * index] as number);
    const mtimeMs = jsonNumber(numbers[2 * index + 1] as number);
    const sha256 = digests.toString('hex', at, at + DIGEST_BYTES);
    const ctSha256 = digests.toString('hex', at + DIGEST_BYTES, at + SLOT_DIGEST_BYTES);
    return `{"size":${size},"mtimeMs":${mtimeMs},"sha256":"${sha256}","ctSha256":"${ctSha256}"}`;
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

/** What JSON.stringify writes for a number: `null` for NaN and the infinities, `0` for -0. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
