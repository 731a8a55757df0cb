/**
 * Which small files go in the next batch: the plan's files in order, grouped
 * to about BATCH_BYTES, smaller at the start of the run.
 */
import type { PlannedUpload } from '../../manifest/diff.js';
import { limits } from '../../protocol/v1/index.js';
import { BATCH_BYTES } from '../batch-sender.js';

/** An item's head beside its path (length prefix, JSON keys, size, the 64 hex digits): only to group files, the thread checks the room. */
const ITEM_OVERHEAD_BYTES = 4 + 120;
/** The format's salt and tag around a small file's ciphertext. */
const SEALING_BYTES = 12 + 16;
/**
 * The first batch's size; each next one doubles up to BATCH_BYTES. The peer
 * and the link idle until the first batch arrives: a 4 MiB one is ~1,000
 * small files sealed first (issue 15: the small set's timeline). The small
 * ones cost no round trip: BatchSender lets them fly beside each other.
 */
export const FIRST_BATCH_BYTES = 128 * 1024;

/** The plan's files in order, with those a body had no room for put back first. */
export class FileQueue {
  private next = 0;
  private readonly putBack: PlannedUpload[] = [];
  /** The ramp's size for the next group: doubles from FIRST_BATCH_BYTES to BATCH_BYTES. */
  private rampBytes = FIRST_BATCH_BYTES;

  constructor(private readonly files: (PlannedUpload | undefined)[]) {}

  /**
   * The next files whose batch items add up to about BATCH_BYTES (at most the protocol's files per batch); less for
   * the first batches (FIRST_BATCH_BYTES, doubling), which are marked `ramp`.
   */
  nextGroup(): { files: PlannedUpload[]; ramp: boolean } {
    const target = this.rampBytes;
    this.rampBytes = Math.min(BATCH_BYTES, this.rampBytes * 2);
    const group: PlannedUpload[] = [];
    let bytes = 0;
    while (group.length < limits.batchMaxFiles) {
      const file = this.putBack.shift() ?? this.take();
      if (file === undefined) break;
      group.push(file);
      bytes += itemBytes(file);
      if (bytes >= target) break;
    }
    return { files: group, ramp: target < BATCH_BYTES };
  }

  /** The plan's next file, cleared from its list (200,000 of them in a first sync of the bench's `many` set, issue 15). */
  private take(): PlannedUpload | undefined {
    const file = this.files[this.next];
    if (file !== undefined) this.files[this.next++] = undefined;
    return file;
  }

  later(file: PlannedUpload): void {
    this.putBack.push(file);
  }
}

/** About what a file takes of a batch body: only to group files, the thread checks the room. */
function itemBytes(file: PlannedUpload): number {
  return ITEM_OVERHEAD_BYTES + Buffer.byteLength(file.relPath) + file.size + SEALING_BYTES;
}
