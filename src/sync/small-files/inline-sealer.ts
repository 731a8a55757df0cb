import { setImmediate as nextTurn } from 'node:timers/promises';
import { BatchBodyBuilder } from '../../protocol/v1/batch-frame.js';
import { SmallFileSealer, fileToSeal, type SealerSetup, type SealOutcome, type SmallFile } from './seal-small-files.js';
import type { SealedBody } from './seal-thread.js';

/** Files sealed between two turns of the event loop: a cold read can block about a millisecond. */
const FILES_PER_TURN = 16;

/**
 * SealThread's work done on the main thread, for a run with a few small files
 * (send-small-files.ts says when): no thread to start, the same outcomes. It
 * gives the event loop a turn every few files, since its reads are synchronous.
 */
export class InlineSealer {
  private readonly sealer: SmallFileSealer;

  constructor(setup: SealerSetup) {
    // its own copy of the key, zeroed at the end as the thread's is
    this.sealer = new SmallFileSealer({ ...setup, userKey: Buffer.from(setup.userKey) });
  }

  async seal(files: SmallFile[], body: ArrayBuffer): Promise<SealedBody> {
    const builder = new BatchBodyBuilder(Buffer.from(body));
    const outcomes: SealOutcome[] = [];
    for (let start = 0; start < files.length; start += FILES_PER_TURN) {
      if (start > 0) await nextTurn();
      outcomes.push(...this.sealer.sealInto(builder, files.slice(start, start + FILES_PER_TURN).map(fileToSeal)));
    }
    return { outcomes, body, bytes: builder.bytes };
  }

  stop(): Promise<void> {
    this.sealer.forgetKey();
    return Promise.resolve();
  }
}
