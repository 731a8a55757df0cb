/**
 * The one way a restore writes into a share: to a hidden temporary file
 * beside the target, flushed, given the manifest's modification time, and
 * renamed over the target only once the whole verified stream ended well.
 * A failure removes the temporary file: the target is left as it was, never
 * half-written and never replaced by unverified bytes.
 */
import { close, futimes } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AnemoneError } from '../errors/catalogue.js';
import { baseNameOf, fsRelPathFor, siblingPath } from '../manifest/file-keys.js';
import { hashDescriptor } from '../scan/hash-file.js';
import { openShareFile, resolveShareRoot } from '../scan/open-share-file.js';
import { tempNameBeside } from '../shares/share-paths.js';
import { writeFailed } from './restore-errors.js';
import { prepareTarget } from './safe-target.js';

export interface WriteRestoredFileInput {
  /** The share folder; nothing is written outside it. */
  root: string;
  /** Where the file lands, relative to `root`: a file key, written back byte for byte. */
  relPath: string;
  expected: { size: number; sha256: string; mtimeMs: number };
  /** The verified plaintext (see verified-file-stream.ts): it ends with an error unless every check passed. */
  open: () => Promise<Readable>;
  onBytes?: (count: number) => void;
}

/** `alreadyThere`: the share held this very file (same SHA-256), so nothing was downloaded; only its time was set. */
export async function writeRestoredFile(input: WriteRestoredFileInput): Promise<{ bytes: number; alreadyThere: boolean }> {
  const { relPath, expected } = input;
  const target = await prepareTarget(input.root, relPath);
  const mtime = new Date(expected.mtimeMs);
  // running a restore again (after an interruption, say) downloads only what is not there yet
  if (await touchIfSameFile(input.root, relPath, expected, mtime)) return { bytes: 0, alreadyThere: true };
  // hidden, so neither a sync nor a share's size counts it, and never listed nor reachable over WebDAV or the Files page
  const tempPath = siblingPath(target, tempNameBeside(baseNameOf(target), 'restore'));
  let handle: FileHandle | undefined;
  let source: Readable | undefined;
  let bytes = 0;
  try {
    handle = await open(tempPath, 'wx');
    // read at once: a stream that fails while nobody listens would be an uncaught error
    source = await input.open();
    for await (const piece of source as AsyncIterable<Buffer>) {
      await writeAll(handle, piece);
      bytes += piece.length;
      input.onBytes?.(piece.length);
    }
    await handle.utimes(new Date(), mtime);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tempPath, target);
    return { bytes, alreadyThere: false };
  } catch (error) {
    source?.destroy();
    await handle?.close().catch(() => undefined);
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw error instanceof AnemoneError || !isFsError(error) ? error : writeFailed(relPath, error);
  }
}

const HASH_BUFFER_BYTES = 1024 * 1024;

/**
 * When the share already holds a regular file at `relPath` with the expected
 * size and SHA-256, gives it the manifest's time and answers true. It is
 * opened by openShareFile (no link followed, nothing outside the share, never
 * a FIFO) and both the hash and the time go through that descriptor.
 */
async function touchIfSameFile(root: string, relPath: string, expected: { size: number; sha256: string }, mtime: Date): Promise<boolean> {
  // a share whose files cannot be checked (see resolveShareRoot) holds nothing to keep: the file is written anew
  const shareRoot = await resolveShareRoot(root).catch(() => undefined);
  const opened = shareRoot ? await openShareFile(shareRoot, fsRelPathFor(relPath)) : undefined;
  if (!opened || 'skip' in opened) return false;
  const { fd } = opened;
  try {
    if (opened.stats.size !== expected.size) return false;
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(HASH_BUFFER_BYTES, expected.size)));
    const read = await hashDescriptor(fd, expected.size, buffer).catch(() => undefined);
    if (read?.bytesRead !== expected.size || read.sha256 !== expected.sha256) return false;
    await new Promise<void>((resolve, reject) => futimes(fd, new Date(), mtime, (error) => (error ? reject(writeFailed(relPath, error)) : resolve())));
    return true;
  } finally {
    close(fd, () => undefined);
  }
}

/** fs writes may be short; loop until the whole piece is on its way to disk. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset);
    offset += bytesWritten;
  }
}

function isFsError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException | undefined)?.syscall === 'string';
}
