/**
 * Restores a list of backed-up files into a share folder, a few at a time,
 * with progress. A file that fails (missing or altered on the peer, a link
 * in the way) is listed and the rest go on; a failure of the peer itself
 * stops this share, since every further file would fail the same way.
 */
import type { ManifestContext } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import type { Logger } from '../logging/logger.js';
import type { PeerClient } from '../peer-client/index.js';
import { runWorkerPool } from '../util/worker-pool.js';
import type { SelectedFile } from './backup-tree.js';
import { describeRestoreError, isPeerWideFailure } from './restore-errors.js';
import { recordError, type RestorePart } from './restore-job.js';
import { openVerifiedFile } from './verified-file-stream.js';
import { writeRestoredFile } from './write-restored-file.js';

/** Files in flight at once: small files are dominated by round trips, so a few overlap. */
const PARALLEL_FILES = 4;

export interface RestoreFilesInput {
  client: Pick<PeerClient, 'getFile'>;
  userKey: Buffer;
  context: ManifestContext;
  files: readonly SelectedFile[];
  /** The share folder. */
  root: string;
  /** A folder inside the share to restore under (`restored-<date>`), or `''` for the original paths. */
  prefix: string;
  part: RestorePart;
  signal: AbortSignal;
  logger: Logger;
  /** Files of a snapshot: fetched from the peer by their ctSha256. */
  byCtSha256?: boolean | undefined;
}

export async function restoreFiles(input: RestoreFilesInput): Promise<void> {
  const { part, files } = input;
  // restored, or failed and recorded; a file a cancel stopped halfway is neither, and counts as not tried
  let settled = 0;
  let stoppedBy: unknown;
  try {
    await runWorkerPool(
      files,
      async (file) => {
        const error = await restoreOne(input, file);
        if (error === undefined || !stoppedByCancel(input.signal)) settled += 1;
        // a file's own failure is recorded and the rest go on; the peer's stops them all
        if (error !== undefined && isPeerWideFailure(error)) throw error;
      },
      { concurrency: PARALLEL_FILES, signal: input.signal },
    );
  } catch (error) {
    stoppedBy = input.signal.aborted ? input.signal.reason : error;
  }
  const untried = files.length - settled;
  if (stoppedBy !== undefined && untried > 0) {
    const why = describeRestoreError(stoppedBy);
    recordError(part, { path: '', code: why.code, message: `${untried} more file(s) were not restored: ${why.message}` });
  }
  if (input.signal.aborted) throw input.signal.reason;
}

/** Restores one file; returns its error (already recorded), or undefined. */
async function restoreOne(input: RestoreFilesInput, file: SelectedFile): Promise<unknown> {
  const { part, context } = input;
  const relPath = input.prefix === '' ? file.relPath : `${input.prefix}/${file.relPath}`;
  let written = 0;
  try {
    const result = await writeRestoredFile({
      root: input.root,
      relPath,
      expected: file.entry,
      open: () => openVerifiedFile({ client: input.client, userKey: input.userKey, context: { ...context, relPath: file.relPath }, entry: file.entry, signal: input.signal, byCtSha256: input.byCtSha256 }),
      onBytes: (count) => {
        written += count;
        part.bytesDone += count;
      },
    });
    if (result.alreadyThere) part.bytesDone += file.entry.size;
    part.filesDone += 1;
    return undefined;
  } catch (error) {
    // progress counts restored bytes only: a failed file's partial bytes are taken back
    part.bytesDone -= written;
    // a file a person's cancel stopped did not fail: the job's report says it was cancelled, and how many were left
    if (stoppedByCancel(input.signal)) return error;
    part.filesFailed += 1;
    const failure = describeRestoreError(input.signal.aborted ? stopReason(input.signal) : error);
    recordError(part, { path: file.relPath, code: failure.code, message: failure.message });
    input.logger.warn({ user: context.user, share: context.share, path: file.relPath, code: failure.code, error: failure.message }, 'file not restored');
    return error;
  }
}

/** Why the job stopped (a cancel, a shutdown), for the file it was writing then. */
function stopReason(signal: AbortSignal): AnemoneError {
  return signal.reason instanceof AnemoneError ? signal.reason : new AnemoneError('RESTORE_INTERRUPTED');
}

function stoppedByCancel(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof AnemoneError && signal.reason.code === 'RESTORE_CANCELLED';
}
