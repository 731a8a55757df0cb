import { AnemoneError } from '../../errors/catalogue.js';
import { MAX_BATCH_HEADER_BYTES } from './batch-frame.js';
import { type BatchItemHeader, batchItemHeader, limits } from './routes.js';

export type BatchEvent =
  | { kind: 'item'; header: BatchItemHeader }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'item-end' };

/**
 * Reads a batch body (see protocol/v1/batch-frame.ts) as it streams in:
 * u32be header length ‖ header JSON ‖ `size` bytes, repeated. A small state
 * machine: it holds at most one item's header; file bytes pass straight
 * through as slices of the chunks received, never gathered.
 */
export class BatchParser {
  private state: 'length' | 'header' | 'body' = 'length';
  /** Bytes of the current length prefix or header, until complete. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private headerBytes = 0;
  private bodyLeft = 0;
  private items = 0;
  private contentBytes = 0;

  constructor(
    private readonly maxItems: number = limits.batchMaxFiles,
    /** One file over the batch size is allowed: the sender closes a batch once it reaches the size. */
    private readonly maxContentBytes: number = limits.batchMaxBytes + limits.batchFileMaxBytes,
  ) {}

  /** The events `chunk` completes, in order. */
  *push(chunk: Buffer): Generator<BatchEvent> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.bodyLeft, chunk.length - offset);
        yield { kind: 'data', chunk: chunk.subarray(offset, offset + take) };
        offset += take;
        this.bodyLeft -= take;
        if (this.bodyLeft === 0) {
          this.state = 'length';
          yield { kind: 'item-end' };
        }
        continue;
      }
      const wanted = this.state === 'length' ? 4 : this.headerBytes;
      let whole: Buffer;
      if (this.heldBytes === 0 && chunk.length - offset >= wanted) {
        // the common case, the whole prefix or header inside this chunk: read in place, nothing held or joined
        whole = chunk.subarray(offset, offset + wanted);
        offset += wanted;
      } else {
        const take = Math.min(wanted - this.heldBytes, chunk.length - offset);
        this.held.push(chunk.subarray(offset, offset + take));
        this.heldBytes += take;
        offset += take;
        if (this.heldBytes < wanted) continue;
        whole = Buffer.concat(this.held, this.heldBytes);
        this.held = [];
        this.heldBytes = 0;
      }
      if (this.state === 'length') {
        this.headerBytes = this.readLength(whole);
        this.state = 'header';
      } else {
        const header = this.readHeader(whole);
        yield { kind: 'item', header };
        if (header.size > 0) {
          this.bodyLeft = header.size;
          this.state = 'body';
        } else {
          this.state = 'length';
          yield { kind: 'item-end' };
        }
      }
    }
  }

  /** Call when the body ended: a batch that stops inside an item is refused. */
  finish(): void {
    if (this.state !== 'length' || this.heldBytes > 0) throw invalid('The batch ended in the middle of an item');
  }

  private readLength(prefix: Buffer): number {
    const length = prefix.readUInt32BE(0);
    if (length === 0 || length > MAX_BATCH_HEADER_BYTES) throw invalid(`A batch item header of ${length} bytes is not allowed`);
    return length;
  }

  private readHeader(bytes: Buffer): BatchItemHeader {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw invalid('A batch item header is not JSON');
    }
    const parsed = batchItemHeader.safeParse(json);
    if (!parsed.success) throw invalid(`A batch item header is not valid: ${parsed.error.issues[0]?.message ?? ''}`.trim());
    const header = parsed.data;
    if (header.size > limits.batchFileMaxBytes) {
      throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `A batch item of ${header.size} bytes is larger than ${limits.batchFileMaxBytes}; send it on its own` });
    }
    this.items += 1;
    this.contentBytes += header.size;
    if (this.items > this.maxItems) throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `A batch holds at most ${this.maxItems} files` });
    if (this.contentBytes > this.maxContentBytes) {
      throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `A batch holds at most ${this.maxContentBytes} bytes of files` });
    }
    return header;
  }
}

function invalid(message: string): AnemoneError {
  return new AnemoneError('VALIDATION_FAILED', { message });
}
