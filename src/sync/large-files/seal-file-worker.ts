/**
 * The program of the thread that reads and seals large files
 * (seal-file-thread.ts starts it): the run's setup, the user's key included,
 * arrives once as its workerData; then the main thread opens files, asks for
 * their chunks one at a time and closes the ones it no longer wants. Each
 * chunk's ciphertext moves to the main thread by transfer, never by copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OpenLargeFiles } from './open-large-files.js';
import type { FileSealerData, FileSealRequest, FileSealAnswer } from './seal-file-thread.js';

/** Buffers this long or longer never come from Node's shared pool (which serves those under 4 KiB), so their memory is theirs to hand over. */
const OWN_MEMORY_BYTES = 4096;

const data = workerData as FileSealerData;
const files = new OpenLargeFiles({ root: data.root, context: data.context, userKey: Buffer.from(data.userKey.buffer, data.userKey.byteOffset, data.userKey.byteLength) });
const port = parentPort as NonNullable<typeof parentPort>;

port.on('message', (request: FileSealRequest) => {
  switch (request.kind) {
    case 'open': {
      const problem = files.open(request.file);
      if (problem) port.postMessage({ kind: 'problem', id: request.file.id, problem } satisfies FileSealAnswer);
      return;
    }
    case 'next': {
      const outcome = files.next(request.id);
      if (outcome === undefined) return;
      if ('kind' in outcome) {
        port.postMessage({ kind: 'problem', id: request.id, problem: outcome } satisfies FileSealAnswer);
        return;
      }
      const transfer: ArrayBuffer[] = [];
      // a small piece (the salt, a tag) may sit in the shared pool: it is copied, the ciphertext handed over
      const pieces = outcome.pieces.map((piece) => {
        if (piece.length < OWN_MEMORY_BYTES) return new Uint8Array(piece);
        transfer.push(piece.buffer as ArrayBuffer);
        return piece;
      });
      const digests = outcome.digests && { sha256: outcome.digests.sha256, ciphertextSha256: new Uint8Array(outcome.digests.ciphertextSha256) };
      port.postMessage({ kind: 'chunk', id: request.id, pieces, plaintextBytes: outcome.plaintextBytes, digests } satisfies FileSealAnswer, transfer);
      return;
    }
    case 'close':
      files.close(request.id);
      return;
    case 'end':
      files.end();
      port.close();
      return;
  }
});
