import { BatchBodyBuilder, MAX_BATCH_HEADER_BYTES, limits } from '../protocol/v1/index.js';
import { peerRefusedFile } from './not-backed-up.js';
import type { BatchItem, PeerSession } from './types.js';
import type { UploadProgress } from './upload-progress.js';

/** Batches in flight at once: one on the wire while the next is encrypted. */
const BATCHES_IN_FLIGHT = 2;
/**
 * A batch is sent once it holds this much, well under the protocol's 16 MiB:
 * with files near 1 MiB, 16 MiB batches (two in flight, each also copied into
 * one request body) took the sender's peak from 193 to 264 MB on the bench's
 * mixed set, for no gain in speed.
 */
const BATCH_BYTES = Math.min(4 * 1024 * 1024, limits.batchMaxBytes);
/** A batch body's room: the size that sends it, plus the largest item (its head and ciphertext) that may take it past. */
const BATCH_CAPACITY = BATCH_BYTES + 4 + MAX_BATCH_HEADER_BYTES + limits.batchFileMaxBytes;

interface QueuedFile {
  relPath: string;
  arrived: () => void;
}

/** A small file sealed for a batch: its `.enc` bytes are `pieces` joined. */
export interface SealedItem {
  /** Stored path (ends in `.enc`). */
  path: string;
  ctSha256: string;
  pieces: readonly Buffer[];
  /** The `.enc` object's length: `pieces` together. */
  bodyBytes: number;
}

/**
 * Collects small files into batches and keeps a bounded number of them in
 * flight; a file counts as arrived only when its batch was acknowledged. The
 * peer refuses a batch whole for one file it will not take (its path, its
 * size): that batch is then sent again one file at a time, so only the
 * refused file is left out (`onRefused`) and the rest of the share syncs.
 *
 * Each batch is framed as its files arrive, straight into a body buffer
 * (BatchBodyBuilder): no buffer per file and no join per batch. A body's
 * buffer is used again once the peer acknowledged it, so a run of thousands
 * of batches allocates a few; a batch that failed keeps its buffer to itself
 * (the connection may still hold views of it) and it is left to the collector.
 */
export class BatchSender {
  private builder: BatchBodyBuilder | undefined;
  private items: BatchItem[] = [];
  private queued: QueuedFile[] = [];
  private plainBytes = 0;
  private readonly inFlight: Promise<void>[] = [];
  /** Builders whose batch was acknowledged, ready for the next one. */
  private readonly free: BatchBodyBuilder[] = [];

  constructor(
    private readonly session: PeerSession,
    private readonly user: string,
    private readonly share: string,
    private readonly progress: UploadProgress,
    private readonly onRefused: (relPath: string, reason: string) => void,
  ) {}

  /** Queues a file of `plainBytes` plaintext; resolves true when this call flushed a batch (files arrived since the last call). */
  async add(item: SealedItem, relPath: string, plainBytes: number, arrived: () => void): Promise<boolean> {
    const header = { path: item.path, size: item.bodyBytes, ctSha256: item.ctSha256 };
    let flushed = false;
    let body = this.currentBuilder().tryAppend(header, item.pieces);
    if (body === undefined && this.items.length > 0) {
      // the item would take the body past its room: what is there goes first
      await this.flush();
      flushed = true;
      body = this.currentBuilder().tryAppend(header, item.pieces);
    }
    if (body === undefined) throw new RangeError(`${relPath}: a batch item of ${item.bodyBytes} bytes does not fit in an empty batch`);
    this.items.push({ path: item.path, ctSha256: item.ctSha256, body });
    this.queued.push({ relPath, arrived });
    this.plainBytes += plainBytes;
    const builder = this.builder as BatchBodyBuilder;
    if (builder.bytes < BATCH_BYTES && builder.items < limits.batchMaxFiles) return flushed;
    await this.flush();
    return true;
  }

  async drain(): Promise<void> {
    if (this.items.length > 0) await this.flush();
    while (this.inFlight.length > 0) await this.inFlight.shift();
  }

  private currentBuilder(): BatchBodyBuilder {
    this.builder ??= this.free.pop() ?? new BatchBodyBuilder(BATCH_CAPACITY);
    return this.builder;
  }

  private async flush(): Promise<void> {
    const builder = this.builder as BatchBodyBuilder;
    const items = this.items;
    const queued = this.queued;
    const upload = this.progress.track(this.plainBytes);
    this.builder = undefined;
    this.items = [];
    this.queued = [];
    this.plainBytes = 0;
    const sent = this.session.putBatch(this.user, this.share, items, upload.onSent, builder.body()).then(
      () => {
        upload.end();
        for (const file of queued) file.arrived();
        // acknowledged: the peer read the whole body, nothing holds a view of it any more
        builder.reset();
        this.free.push(builder);
      },
      (error: unknown) => {
        upload.end();
        const reason = peerRefusedFile(error);
        if (reason === undefined) throw error;
        if (items.length > 1) return this.sendOneByOne(items, queued);
        this.onRefused((queued[0] as QueuedFile).relPath, reason);
        return undefined;
      },
    );
    // handled here so a failure waiting its turn is not an unhandled rejection; awaiting it still throws
    sent.catch(() => undefined);
    this.inFlight.push(sent);
    if (this.inFlight.length >= BATCHES_IN_FLIGHT) await this.inFlight.shift();
  }

  private async sendOneByOne(items: BatchItem[], queued: QueuedFile[]): Promise<void> {
    for (const [index, item] of items.entries()) {
      const file = queued[index] as QueuedFile;
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
