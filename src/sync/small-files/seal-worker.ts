/**
 * The program of the thread that seals small files (seal-thread.ts starts
 * it): the run's setup, the user's key included, arrives once as its
 * workerData; then each message is a list of files and an empty body to
 * frame them into, and each answer the body, filled, and what became of each
 * file. Bodies move between the threads by transfer, never by copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchBodyBuilder } from '../../protocol/v1/batch-frame.js';
import { SmallFileSealer, fileToSeal, type SealerSetup } from './seal-small-files.js';
import type { SealJob, SealedBody, SealerData } from './seal-thread.js';

const data = workerData as SealerData;
const setup: SealerSetup = { ...data, userKey: Buffer.from(data.userKey.buffer, data.userKey.byteOffset, data.userKey.byteLength) };
const sealer = new SmallFileSealer(setup);
const port = parentPort as NonNullable<typeof parentPort>;

/** The jobs one after the other: a job's reads ahead give the event loop turns, in which the next message may arrive. */
let jobs = Promise.resolve();

port.on('message', (message: SealJob | 'end') => {
  jobs = jobs.then(() => handle(message));
});

async function handle(message: SealJob | 'end'): Promise<void> {
  if (message === 'end') {
    sealer.forgetKey();
    port.close();
    return;
  }
  const builder = new BatchBodyBuilder(Buffer.from(message.body));
  const outcomes = await sealer.sealIntoReadingAhead(builder, message.files.map(fileToSeal));
  const answer: SealedBody = { outcomes, body: message.body, bytes: builder.bytes };
  port.postMessage(answer, [message.body]);
}
