import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AnemoneError } from '../errors/catalogue.js';
import { WholeReadHoldback } from '../protocol/v1/index.js';
import { bodyBytesReceived } from '../util/young-collections.js';
import { eachBodyChunk } from './body-chunks.js';

/**
 * What a resumable upload's request does whatever keeps the partial (a file
 * on disk, partial-uploads.ts; a multipart upload, s3-resumable.ts): one
 * request at a time per upload, and the body read as the bytes after
 * `offset` followed by the whole object's SHA-256 trailer.
 */

/** Appends running, by upload: a new request for the same upload ends the old one (the source lost that connection). */
export class RunningAppends {
  private readonly active = new Map<string, { stop: () => void; done: Promise<unknown> }>();

  has(key: string): boolean {
    return this.active.has(key);
  }

  /** Ends the append running for `key`, if any, and waits until it has let go of the partial. */
  async stop(key: string): Promise<void> {
    const running = this.active.get(key);
    if (!running) return;
    running.stop();
    await running.done;
  }

  /** Runs `work` as the append of `key`; `work` hands over how to stop it. */
  async run<T>(key: string, work: (onStop: (stop: () => void) => void) => Promise<T>): Promise<T> {
    let stop = () => undefined as void;
    const working = work((stopper) => (stop = stopper));
    const entry = { stop: () => stop(), done: working.catch(() => undefined) };
    this.active.set(key, entry);
    try {
      return await working;
    } finally {
      if (this.active.get(key) === entry) this.active.delete(key);
    }
  }
}

/**
 * Reads the continuation of an upload of `size` bytes from `offset`: each
 * byte hashed into `hash` and handed to `write`. A body that ends early (a
 * dropped connection) is no error: what arrived is kept, for the next request
 * to continue from; a refusal (an AnemoneError, or `failed()`: the partial's
 * own storage broke) is thrown. `trailer` is the announced SHA-256 when the
 * body ended whole with its trailer.
 */
export async function receiveContinuation(
  body: Readable,
  options: { offset: number; size: number; hash: Hash; write: (content: Buffer) => Promise<void> | undefined; failed?: () => boolean },
): Promise<{ written: number; trailer: string | undefined }> {
  const holdback = new WholeReadHoldback();
  let written = options.offset;
  // synchronous while the file takes each piece at once: a promise only when the write must wait
  const take = (content: Buffer): Promise<void> | undefined => {
    written += content.length;
    if (written > options.size) throw new AnemoneError('PAYLOAD_TOO_LARGE', { message: `The upload is longer than the ${options.size} bytes announced` });
    options.hash.update(content);
    return options.write(content);
  };
  let whole = false;
  try {
    // the holdback passes at most one piece per read
    await eachBodyChunk(body, (chunk) => {
      // the pieces die here, outside V8's heap: collected every few MiB rather than in piles of ~32 (lean mode)
      bodyBytesReceived(chunk.length);
      const passed = holdback.push(chunk)[0];
      return passed && take(passed);
    });
    whole = true;
  } catch (error) {
    if (error instanceof AnemoneError || options.failed?.()) throw error;
  }
  try {
    // what arrived is kept, a cut body's too: the last read, but for the 32 bytes that are (or would have been) the trailer
    const last = holdback.end()[0];
    if (last) await take(last);
  } catch (error) {
    if (error instanceof AnemoneError || options.failed?.()) throw error;
    return { written, trailer: undefined };
  }
  return { written, trailer: whole ? holdback.trailerHex() : undefined };
}

/** The whole object's hash did not match its trailer: the partial is discarded, the source starts again. */
export function partialHashMismatch(actual: string, announced: string): AnemoneError {
  return new AnemoneError('HASH_MISMATCH', { message: `The file arrived damaged: its SHA-256 is ${actual}, the source announced ${announced}; the partial upload was discarded` });
}
