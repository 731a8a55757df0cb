/**
 * Where a run's large files are read and sealed: on a thread of their own
 * (FileSealThread) when they add up to THREAD_MIN_BYTES or more, so the main
 * thread only writes the sealed chunks to the TLS socket; on the main thread
 * (EncryptedFileStream) below that, and no thread at all for a run without
 * large files.
 */
import type { ManifestContext } from '../../crypto/format-v1.js';
import type { ShareRoot } from '../../scan/open-share-file.js';
import { type EncryptedFile, EncryptedFileStream } from '../encrypt-file.js';
import type { ResumeFrom } from './file-chunk-sealer.js';
import { FileSealThread, type LargeFileToSeal } from './seal-file-thread.js';

/**
 * Starting the thread costs 40–100 ms of CPU (a quiet or a loaded 2-core
 * machine), about what sealing 16 MiB costs the main thread: below it the
 * thread would cost more than it moves off the main thread.
 */
export const THREAD_MIN_BYTES = 16 * 1024 * 1024;

export interface LargeFileBodies {
  /** The encrypted body of `file`, from `resumeFrom.startAt` for a resumed upload. */
  open(file: LargeFileToSeal, resumeFrom?: ResumeFrom): EncryptedFile;
  /** Ends the thread, if any, once the run has sent its large files. */
  stop(): Promise<void>;
}

export interface LargeFileBodiesInput {
  /** The run's large files (only their sizes decide). */
  files: readonly { size: number }[];
  root: ShareRoot;
  context: ManifestContext;
  userKey: Buffer;
  signal: AbortSignal;
  /** Test only: the thread's program. */
  threadEntry?: URL | undefined;
}

export function largeFileBodies(input: LargeFileBodiesInput): LargeFileBodies {
  const bytes = input.files.reduce((sum, file) => sum + file.size, 0);
  if (bytes >= THREAD_MIN_BYTES) {
    const thread = new FileSealThread(input, { signal: input.signal, entry: input.threadEntry });
    return { open: (file, resumeFrom) => thread.open(file, resumeFrom), stop: () => thread.stop() };
  }
  return {
    open: (file, resumeFrom) => new EncryptedFileStream(input.root, file.fsRelPath, input.userKey, { ...input.context, relPath: file.relPath }, file.size, resumeFrom),
    stop: async () => undefined,
  };
}
