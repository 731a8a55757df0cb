import { MAX_BATCH_HEADER_BYTES, limits } from '../protocol/v1/index.js';
import { peerRefusedFile } from './not-backed-up.js';
import type { BatchItem, PeerSession } from './types.js';
import type { UploadProgress } from './upload-progress.js';

/** Batches in flight at once: one on the wire while the next is sealed. */
const BATCHES_IN_FLIGHT = 2;
/**
 * A batch is sent once it holds this much, well under the protocol's 16 MiB:
 * with files near 1 MiB, 16 MiB batches (two in flight, each also copied into
 * one request body) took the sender's peak from 193 to 264 MB on the bench's
 * mixed set, for no gain in speed.
 */
export const BATCH_BYTES = Math.min(4 * 1024 * 1024, limits.batchMaxBytes);
/** A batch body's room: the size that sends it, plus the largest item (its head and ciphertext) that may take it past. */
export const BATCH_CAPACITY = BATCH_BYTES + 4 + MAX_BATCH_HEADER_BYTES + limits.batchFileMaxBytes;

/** A file of a batch: it arrived once the batch was acknowledged. */
export interface BatchFile {
  relPath: string;
  arrived: () => void;
}

/** A batch framed into one body (BatchBodyBuilder). */
export interface FramedBatch {
  /** The whole body, a view from byte 0 of a buffer `takeBuffer` gave. */
  body: Buffer;
  /** The files framed in it. */
  count: number;
  /** Their plaintext bytes, for the progress. */
  plainBytes: number;
  /** The peer acknowledged the batch: every file of it arrived. */
  arrived(): void;
  /** Its items (views of the body, in its order) and their files: made only when they are sent one by one. */
  split(): { items: BatchItem[]; files: BatchFile[] };
}

/**
 * Sends batches of small files, a bounded number in flight; a file counts as
 * arrived only when its batch was acknowledged. The peer refuses a batch
 * whole for one file it will not take (its path, its size): that batch is
 * then sent again one file at a time, so only the refused file is left out
 * (`onRefused`) and the rest of the share syncs.
 *
 * The last batches may still await their acknowledgement (the peer answers
 * once it fsynced every file) while the run streams its large files: `drain`
 * waits for every one and throws the first failure of any, including one no
 * `send` was waiting for.
 *
 * Each body's buffer is used again once the peer acknowledged it (takeBuffer),
 * so a run of thousands of batches allocates a few; a batch that failed keeps
 * its buffer to itself (the connection may still hold views of it) and it is
 * left to the collector.
 */
export class BatchSender {
  /** Each batch not yet settled, oldest first; each entry resolves (never rejects) once its batch settled. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Buffers whose batch was acknowledged, ready for the next one. */
  private readonly free: ArrayBuffer[] = [];
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly session: PeerSession,
    private readonly user: string,
    private readonly share: string,
    private readonly progress: UploadProgress,
    private readonly onRefused: (relPath: string, reason: string) => void,
  ) {}

  /** An empty buffer of BATCH_CAPACITY bytes for the next body: one whose batch was acknowledged, or a new one. */
  takeBuffer(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(BATCH_CAPACITY);
  }

  /** Gives back a buffer that carried nothing to the peer (every file of its batch was skipped). */
  giveBack(buffer: ArrayBuffer): void {
    this.free.push(buffer);
  }

  /**
   * Sends a batch; resolves once there is room for the next one (the batch itself may still be on its way), and
   * throws once any batch failed.
   */
  async send(batch: FramedBatch): Promise<void> {
    this.throwIfFailed();
    const upload = this.progress.track(batch.plainBytes);
    const sent = this.session.putBatchBody(this.user, this.share, batch.body, upload.onSent).then(
      () => {
        upload.end();
        batch.arrived();
        // acknowledged: the peer read the whole body, nothing holds a view of it any more
        this.free.push(batch.body.buffer as ArrayBuffer);
      },
      (error: unknown) => {
        upload.end();
        const reason = peerRefusedFile(error);
        if (reason === undefined) throw error;
        const { items, files } = batch.split();
        if (items.length > 1) return this.sendOneByOne(items, files);
        this.onRefused((files[0] as BatchFile).relPath, reason);
        return undefined;
      },
    );
    // the failure is kept for whoever waits next (send or drain): a batch fails the run even if nobody awaited it
    const settled: Promise<void> = sent
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
    if (this.inFlight.size >= BATCHES_IN_FLIGHT) await this.oldest();
    this.throwIfFailed();
  }

  /** Waits until every batch sent was acknowledged (or sent again one by one); throws the first failure of any. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /**
   * Waits until no batch is in flight, whatever became of them: after a failure, nothing of the run still runs.
   * No batch follows: the bodies' buffers are let go, not held beside the large files' (~5 MiB each).
   */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await this.oldest();
    this.free.length = 0;
  }

  private oldest(): Promise<void> | undefined {
    return this.inFlight.values().next().value;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private async sendOneByOne(items: BatchItem[], files: BatchFile[]): Promise<void> {
    for (const [index, item] of items.entries()) {
      const file = files[index] as BatchFile;
      try {
        await this.session.putBatch(this.user, this.share, [item]);
        file.arrived();
      } catch (error) {
        const reason = peerRefusedFile(error);
        if (reason === undefined) throw error;
        this.onRefused(file.relPath, reason);
      }
    }
  }
}
