import type { Readable } from 'node:stream';

/**
 * The chunks of an upload. Stopping early (a limit, a bad hash) must not
 * destroy the body: that would reset the connection before the source reads
 * the error. The caller's transport drains what is left instead.
 */
export function bodyChunks(body: Readable): AsyncIterable<Buffer> {
  return body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
}

/**
 * Hands each chunk of an upload to `take` as it arrives (a 'data' listener),
 * pausing the body while a promise `take` returned is pending: the disk's
 * backpressure. Resolves once the body ended and the last promise settled;
 * rejects with the first error `take` throws, or the body's (a dropped
 * connection), once no write is pending. Like `bodyChunks`, stopping early leaves the body paused,
 * not destroyed.
 *
 * Why not `for await` over `bodyChunks`: a large upload arrives in 16 KiB
 * chunks (one per TLS record), and the async iterator costs several promises
 * and microtasks per chunk, the garbage of them filling V8's young
 * generation; here a chunk that the disk takes at once costs none (about a
 * tenth of the receiver's main thread). The young collections then come less
 * often, and the chunks, outside V8's heap, wait longer for one to free them:
 * about 10 MB more at the receiver's peak (bench/README.md), until the lean
 * mode ran a young collection every 8 MiB received (src/util/young-collections.ts).
 */
export function eachBodyChunk(body: Readable, take: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  if (body.readableEnded) return Promise.resolve();
  if (body.destroyed) return Promise.reject(body.errored ?? new Error('The upload ended before all its bytes arrived'));
  return new Promise((resolve, reject) => {
    let pending: Promise<void> | undefined;
    let settled = false;
    const stopListening = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', fail);
      body.off('close', onClose);
    };
    function fail(error: unknown): void {
      if (settled) return;
      settled = true;
      stopListening();
      body.pause();
      // a body cut while a write waits: settled once that write is, so the caller's next write (the held-back
      // last read) never runs beside it, and no offset is reported with a write still under way
      if (pending) pending.then(() => reject(error), reject);
      else reject(error);
    }
    const waitFor = (waiting: Promise<void>) => {
      body.pause();
      pending = waiting;
      waiting.then(() => {
        if (pending !== waiting || settled) return;
        pending = undefined;
        body.resume();
      }, fail);
    };
    function onData(chunk: Buffer): void {
      if (settled) return;
      // paused while a write waits, so no chunk should come; if one does, it queues behind that write
      if (pending) return waitFor(pending.then(() => take(chunk)));
      let waiting;
      try {
        waiting = take(chunk);
      } catch (error) {
        return fail(error);
      }
      if (waiting) waitFor(waiting);
    }
    function onEnd(): void {
      if (settled) return;
      const last = pending ?? Promise.resolve();
      last.then(() => {
        if (settled) return;
        settled = true;
        stopListening();
        resolve();
      }, fail);
    }
    function onClose(): void {
      if (!body.readableEnded) fail(new Error('The upload ended before all its bytes arrived'));
    }
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', fail);
    body.on('close', onClose);
  });
}
