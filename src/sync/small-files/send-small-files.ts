/**
 * Sends a plan's small files: a thread of their own (SealThread) opens, reads,
 * hashes, seals and frames them into batch bodies, while the main thread
 * sends the bodies (BatchSender) and records what the peer acknowledged.
 * The thread seals the next batch while the previous one is handed to the
 * socket, so both cores work.
 */
import type { ManifestContext } from '../../crypto/format-v1.js';
import type { PlannedUpload } from '../../manifest/diff.js';
import { fsRelPathFor, type FsPath } from '../../manifest/file-keys.js';
import { storedNameFor } from '../../manifest/stored-names.js';
import { limits } from '../../protocol/v1/index.js';
import type { ShareRoot } from '../../scan/open-share-file.js';
import { BATCH_BYTES, type BatchFile, type BatchSender, type FramedBatch } from '../batch-sender.js';
import { FileChangedError, ShareFileSkippedError } from '../encrypt-file.js';
import type { BatchItem } from '../types.js';
import type { SealOutcome } from './seal-small-files.js';
import { InlineSealer } from './inline-sealer.js';
import { SealThread, type SealedBody } from './seal-thread.js';

/**
 * Fewer small files than this are sealed on the main thread: starting the
 * sealing thread costs about 100 ms of CPU on a loaded 2-core machine (40 on
 * a quiet one), more than a few dozen files cost where they are.
 */
const THREAD_MIN_FILES = 64;
/** An item's head beside its path (length prefix, JSON keys, size, the 64 hex digits): only to group files, the thread checks the room. */
const ITEM_OVERHEAD_BYTES = 4 + 120;
/** The format's salt and tag around a small file's ciphertext. */
const SEALING_BYTES = 12 + 16;

export interface SendSmallFilesInput {
  /** Taken over: each entry is cleared as its file is handed to be sealed, so what was sent is not held to the end. */
  files: (PlannedUpload | undefined)[];
  root: ShareRoot;
  context: ManifestContext;
  userKey: Buffer;
  batches: BatchSender;
  signal: AbortSignal;
  /** The peer acknowledged the file's batch: `sealed` says what was sent. */
  arrived(file: PlannedUpload, sealed: Extract<SealOutcome, { kind: 'sealed' }>): void;
  /** The file was not sent (changed, gone, a link…): the error says why; it throws what must fail the run. */
  notSent(relPath: string, error: unknown): void;
  /** Test only: awaited before each file is handed to the thread to be read. */
  beforeFileRead?: ((relPath: string) => Promise<void> | void) | undefined;
  /** Test only: the thread's program. */
  sealEntry?: URL | undefined;
}

/**
 * Resolves once every file was handed to `input.batches` or left out: the last
 * batches may still await their acknowledgement, `input.batches.drain()` waits
 * for them (and throws their failure).
 */
export async function sendSmallFiles(input: SendSmallFilesInput): Promise<void> {
  if (input.files.length === 0) return;
  input.signal.throwIfAborted();
  // one more byte than the largest file tells a file that grew past what a batch may carry
  const readBufferBytes = input.files.reduce((max, file) => Math.max(max, file?.size ?? 0), 0) + 1;
  const setup = { root: input.root, context: input.context, userKey: input.userKey, readBufferBytes };
  const sealer = input.files.length < THREAD_MIN_FILES ? new InlineSealer(setup) : new SealThread(setup, { signal: input.signal, entry: input.sealEntry });
  const queue = new FileQueue(input.files);
  const post = async (): Promise<{ group: PlannedUpload[]; answer: Promise<SealedBody> } | undefined> => {
    input.signal.throwIfAborted();
    const group = queue.nextGroup();
    if (group.length === 0) return undefined;
    for (const file of group) await input.beforeFileRead?.(file.relPath);
    // names and sizes only: the thread works out each file's names (fileToSeal)
    const answer = sealer.seal(
      group.map(({ relPath, size }) => ({ relPath, size })),
      input.batches.takeBuffer(),
    );
    // awaited below; handled here so a failure while the run stops for another reason is not unhandled
    answer.catch(() => undefined);
    return { group, answer };
  };
  try {
    let ahead = await post();
    while (ahead) {
      const { group, answer } = ahead;
      const sealed = await answer;
      const batch = framedBatch(input, group, sealed, queue);
      // the batch goes to the socket (send calls the peer at once) while the next one is sealed
      const room = batch.count > 0 ? input.batches.send(batch) : undefined;
      if (!room) input.batches.giveBack(sealed.body);
      room?.catch(() => undefined);
      ahead = await post();
      // after the last batch nothing waits for room: the caller drains the batches while its large files stream
      if (ahead) await room;
    }
  } finally {
    await sealer.stop();
  }
}

/** The plan's files in order, with those a body had no room for put back first. */
class FileQueue {
  private next = 0;
  private readonly putBack: PlannedUpload[] = [];

  constructor(private readonly files: (PlannedUpload | undefined)[]) {}

  /** The next files whose batch items add up to about BATCH_BYTES (at most the protocol's files per batch). */
  nextGroup(): PlannedUpload[] {
    const group: PlannedUpload[] = [];
    let bytes = 0;
    while (group.length < limits.batchMaxFiles) {
      const file = this.putBack.shift() ?? this.take();
      if (file === undefined) break;
      group.push(file);
      bytes += ITEM_OVERHEAD_BYTES + Buffer.byteLength(file.relPath) + file.size + SEALING_BYTES;
      if (bytes >= BATCH_BYTES) break;
    }
    return group;
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

/**
 * The batch the thread framed: its sealed files counted, the others reported
 * or put back. Its items and files' records are made only for a resend one
 * by one (split): a batch waits for its acknowledgement long enough for V8 to
 * promote what it holds, and the lean mode's full collections trace it.
 */
function framedBatch(input: SendSmallFilesInput, group: PlannedUpload[], sealed: SealedBody, queue: FileQueue): FramedBatch {
  const body = Buffer.from(sealed.body, 0, sealed.bytes);
  const { outcomes } = sealed;
  let count = 0;
  let plainBytes = 0;
  for (const [index, outcome] of outcomes.entries()) {
    const file = group[index] as PlannedUpload;
    if (outcome.kind === 'sealed') {
      count++;
      plainBytes += outcome.size;
    } else if (outcome.kind === 'later') queue.later(file);
    else input.notSent(file.relPath, notSentError(fsRelPathFor(file.relPath), outcome));
  }
  return {
    body,
    count,
    plainBytes,
    arrived: () => {
      for (const [index, outcome] of outcomes.entries()) if (outcome.kind === 'sealed') input.arrived(group[index] as PlannedUpload, outcome);
    },
    split: () => {
      const items: BatchItem[] = [];
      const files: BatchFile[] = [];
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome.kind !== 'sealed') continue;
        const file = group[index] as PlannedUpload;
        items.push({ path: storedNameFor(file.relPath), ctSha256: outcome.ctSha256, body: body.subarray(outcome.bodyStart, outcome.bodyStart + outcome.bodyBytes) });
        files.push({ relPath: file.relPath, arrived: () => input.arrived(file, outcome) });
      }
      return { items, files };
    },
  };
}

/** The same errors the sender raised when it read files on the main thread, so the run reports them alike. */
function notSentError(fsRelPath: FsPath, outcome: Exclude<SealOutcome, { kind: 'sealed' | 'later' }>): Error {
  switch (outcome.kind) {
    case 'skipped':
      return new ShareFileSkippedError(fsRelPath, outcome.reason, outcome.detail);
    case 'changed':
      return new FileChangedError(fsRelPath);
    case 'failed':
      return Object.assign(new Error(outcome.message), { code: outcome.code });
  }
}
