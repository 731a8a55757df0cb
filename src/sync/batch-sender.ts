import { limits } from '../protocol/v1/index.js';
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

interface QueuedFile {
  relPath: string;
  arrived: () => void;
}

/**
 * Collects small files into batches and keeps a bounded number of them in
 * flight; a file counts as arrived only when its batch was acknowledged. The
 * peer refuses a batch whole for one file it will not take (its path, its
 * size): that batch is then sent again one file at a time, so only the
 * refused file is left out (`onRefused`) and the rest of the share syncs.
 */
export class BatchSender {
  private items: BatchItem[] = [];
  private queued: QueuedFile[] = [];
  private bytes = 0;
  private plainBytes = 0;
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly session: PeerSession,
    private readonly user: string,
    private readonly share: string,
    private readonly progress: UploadProgress,
    private readonly onRefused: (relPath: string, reason: string) => void,
  ) {}

  /** Queues an item of `plainBytes` plaintext; resolves true when this call flushed a batch (files arrived since the last call). */
  async add(item: BatchItem, relPath: string, plainBytes: number, arrived: () => void): Promise<boolean> {
    this.items.push(item);
    this.queued.push({ relPath, arrived });
    this.bytes += item.body.length;
    this.plainBytes += plainBytes;
    if (this.bytes < BATCH_BYTES && this.items.length < limits.batchMaxFiles) return false;
    await this.flush();
    return true;
  }

  async drain(): Promise<void> {
    if (this.items.length > 0) await this.flush();
    while (this.inFlight.length > 0) await this.inFlight.shift();
  }

  private async flush(): Promise<void> {
    const items = this.items;
    const queued = this.queued;
    const upload = this.progress.track(this.plainBytes);
    this.items = [];
    this.queued = [];
    this.bytes = 0;
    this.plainBytes = 0;
    const sent = this.session.putBatch(this.user, this.share, items, upload.onSent).then(
      () => {
        upload.end();
        for (const file of queued) file.arrived();
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
