/**
 * The one way a restore writes into a share: to a hidden temporary file
 * beside the target, flushed, given the manifest's modification time, and
 * renamed over the target only once the whole verified stream ended well.
 * A failure removes the temporary file: the target is left as it was, never
 * half-written and never replaced by unverified bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, rename, rm, utimes, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AnemoneError } from '../errors/catalogue.js';
import { writeFailed } from './restore-errors.js';
import { prepareTarget } from './safe-target.js';

export interface WriteRestoredFileInput {
  /** The share folder; nothing is written outside it. */
  root: string;
  /** Where the file lands, relative to `root`. */
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
  if (await holdsSameFile(target, expected)) {
    await utimes(target, new Date(), mtime).catch((error: unknown) => {
      throw writeFailed(relPath, error);
    });
    return { bytes: 0, alreadyThere: true };
  }
  // hidden, so neither a sync nor a share's size counts it; shortened so a long name still fits 255 bytes
  const shortName = Array.from(path.basename(target)).slice(0, 40).join('');
  const tempPath = path.join(path.dirname(target), `.${shortName}.anemone-restore-${randomBytes(6).toString('hex')}`);
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

/** A regular file (never followed through a link) with the expected size and SHA-256. */
async function holdsSameFile(target: string, expected: { size: number; sha256: string }): Promise<boolean> {
  const found = await lstat(target).catch(() => undefined);
  if (!found?.isFile() || found.size !== expected.size) return false;
  const hash = createHash('sha256');
  try {
    for await (const piece of createReadStream(target)) hash.update(piece as Buffer);
  } catch {
    return false;
  }
  return hash.digest('hex') === expected.sha256;
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
