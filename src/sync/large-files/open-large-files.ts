/**
 * The large files a sealing thread has open, read and sealed chunk by chunk
 * with synchronous calls: on a thread of its own a call that waits on the
 * disk blocks nothing else, and no read takes a trip through libuv's pool.
 */
import { closeSync, readSync } from 'node:fs';
import { CHUNK_SIZE, type ManifestContext } from '../../crypto/format-v1.js';
import { openShareFileSync, type ShareRoot } from '../../scan/open-share-file.js';
import type { FileReadProblem } from '../encrypt-file.js';
import { FileChunkSealer } from './file-chunk-sealer.js';

/** A large file to open, as it crosses to the thread. */
export interface LargeFileToOpen {
  /** Chosen by the main thread; every later message about the file names it. */
  id: number;
  /** The manifest's path (the file's identity in its key). */
  relPath: string;
  /** The exact bytes of the name on disk (file-keys.ts): a string, or bytes for a name that is not UTF-8. */
  fsRelPath: string | Uint8Array;
  /** The size the scan saw: exactly this much is read. */
  size: number;
  /** A resumed upload: the salt begun with, and the byte of the ciphertext to start sending at. */
  resumeFrom?: { salt: Uint8Array; startAt: number } | undefined;
}

/** The next chunk of a file: the pieces to send (none before a resumed upload's start), and the digests after the last. */
export interface SealedChunk {
  pieces: Buffer[];
  plaintextBytes: number;
  digests?: { sha256: string; ciphertextSha256: Buffer };
}

interface OpenFile {
  fd: number;
  size: number;
  offset: number;
  chunks: FileChunkSealer;
}

export interface LargeFileSetup {
  root: ShareRoot;
  context: ManifestContext;
  userKey: Buffer;
}

export class OpenLargeFiles {
  private readonly files = new Map<number, OpenFile>();
  /** One read buffer for every file: a chunk is read, hashed and sealed before the next call. */
  private readonly readBuffer = Buffer.allocUnsafe(CHUNK_SIZE);

  constructor(private readonly setup: LargeFileSetup) {}

  /** Opens a file through the share's checks; says why not when it is refused. */
  open(file: LargeFileToOpen): FileReadProblem | undefined {
    const fsRelPath = typeof file.fsRelPath === 'string' ? file.fsRelPath : Buffer.from(file.fsRelPath.buffer, file.fsRelPath.byteOffset, file.fsRelPath.byteLength);
    const opened = openShareFileSync(this.setup.root, fsRelPath);
    if ('skip' in opened) return { kind: 'skipped', reason: opened.skip, ...(opened.detail === undefined ? {} : { detail: opened.detail }) };
    const resumeFrom = file.resumeFrom && { salt: Buffer.from(file.resumeFrom.salt), startAt: file.resumeFrom.startAt };
    const chunks = new FileChunkSealer(this.setup.userKey, { ...this.setup.context, relPath: file.relPath }, resumeFrom);
    this.files.set(file.id, { fd: opened.fd, size: file.size, offset: 0, chunks });
    return undefined;
  }

  /**
   * Reads, hashes and seals the file's next chunk; after the last one, or a
   * problem, the file is closed and forgotten. Undefined for a file not open
   * (closed by the main thread, or ended).
   */
  next(id: number): SealedChunk | FileReadProblem | undefined {
    const file = this.files.get(id);
    if (!file) return undefined;
    const length = Math.min(CHUNK_SIZE, file.size - file.offset);
    const chunk = this.readBuffer.subarray(0, length);
    try {
      for (let filled = 0; filled < length; ) {
        const bytesRead = readSync(file.fd, chunk, filled, length - filled, file.offset + filled);
        // shorter than the scan saw; a file that grew is cut at the scanned size and recorded as what was sent
        if (bytesRead === 0) {
          this.close(id);
          return { kind: 'changed' };
        }
        filled += bytesRead;
      }
    } catch (error) {
      this.close(id);
      const failure = error as NodeJS.ErrnoException;
      return { kind: 'failed', code: failure.code, message: failure.message };
    }
    file.offset += length;
    const last = file.offset === file.size;
    const pieces = file.chunks.seal(chunk, last);
    if (!last) return { pieces, plaintextBytes: length };
    this.close(id);
    return { pieces, plaintextBytes: length, digests: file.chunks.digests() };
  }

  /** Closes a file and forgets it (a cut upload, a stopped run); nothing for a file not open. */
  close(id: number): void {
    const file = this.files.get(id);
    if (!file) return;
    this.files.delete(id);
    closeSync(file.fd);
  }

  /** Closes every file and zeroes this thread's copy of the user's key: the run is over. */
  end(): void {
    for (const id of [...this.files.keys()]) this.close(id);
    this.setup.userKey.fill(0);
  }
}
