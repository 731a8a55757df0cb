/**
 * The sealing of small files for a batch, synchronous from open to framing:
 * it runs on a thread of its own (seal-worker.ts), where a call that waits on
 * the disk blocks nothing else, so no call takes a trip through libuv's pool
 * (each cost a request, a pool thread's wake-up and a callback: most of the
 * sender's CPU per small file).
 */
import { closeSync, readSync } from 'node:fs';
import { hash } from 'node:crypto';
import { FileInfoWriter, sealOneChunk, type ManifestContext } from '../../crypto/format-v1.js';
import { SaltBlock } from '../../crypto/salt-block.js';
import type { BatchBodyBuilder } from '../../protocol/v1/batch-frame.js';
import { openShareFileSync, type ShareRoot } from '../../scan/open-share-file.js';
import type { SkipReason } from '../../scan/walk-share.js';

/** A file of the plan to seal, as it crosses to the sealing thread. */
export interface FileToSeal {
  /** The manifest's path (the file's identity in its key). */
  relPath: string;
  /** The exact bytes of the name on disk (file-keys.ts): a string, or bytes for a name that is not UTF-8. */
  fsRelPath: string | Uint8Array;
  /** Its name on the peer (ends in `.enc`). */
  storedPath: string;
  /** The size the scan saw. */
  size: number;
}

/** What became of one file, in the order given. */
export type SealOutcome =
  /** Framed in the body: its ciphertext at `bodyStart`, `bodyBytes` long. */
  | { kind: 'sealed'; size: number; sha256: string; ctSha256: string; bodyStart: number; bodyBytes: number }
  /** openShareFile refused it (a link, a FIFO, gone…); nothing of it was read. */
  | { kind: 'skipped'; reason: SkipReason; detail?: string }
  /** It grew past what the run reads of a small file while it was read. */
  | { kind: 'changed' }
  /** Reading it failed (an errno code, say EIO). */
  | { kind: 'failed'; code: string | undefined; message: string }
  /** The body had no room left for it: it goes in a later batch. */
  | { kind: 'later' };

export interface SealerSetup {
  root: ShareRoot;
  context: ManifestContext;
  userKey: Buffer;
  /** The largest small file of the plan plus one: one more byte read than the scan saw tells a file that grew past it. */
  readBufferBytes: number;
}

/** Seals files into batch bodies, one after the other, with one read buffer and one block of salts for the whole run. */
export class SmallFileSealer {
  private readonly readBuffer: Buffer;
  private readonly salts = new SaltBlock();
  private readonly infos: FileInfoWriter;

  constructor(private readonly setup: SealerSetup) {
    this.readBuffer = Buffer.allocUnsafe(setup.readBufferBytes);
    this.infos = new FileInfoWriter(setup.context);
  }

  /** Frames as many of `files` as the body has room for, in order; says what became of each. */
  sealInto(body: BatchBodyBuilder, files: readonly FileToSeal[]): SealOutcome[] {
    return files.map((file) => this.sealOne(body, file));
  }

  /** Zeroes this thread's copy of the user's key: the run is over. */
  forgetKey(): void {
    this.setup.userKey.fill(0);
  }

  private sealOne(body: BatchBodyBuilder, file: FileToSeal): SealOutcome {
    const fsRelPath = typeof file.fsRelPath === 'string' ? file.fsRelPath : Buffer.from(file.fsRelPath.buffer, file.fsRelPath.byteOffset, file.fsRelPath.byteLength);
    const opened = openShareFileSync(this.setup.root, fsRelPath);
    if ('skip' in opened) return { kind: 'skipped', reason: opened.skip, ...(opened.detail === undefined ? {} : { detail: opened.detail }) };
    let size: number;
    try {
      size = this.readAll(opened.fd, file.size);
    } catch (error) {
      const failure = error as NodeJS.ErrnoException;
      return { kind: 'failed', code: failure.code, message: failure.message };
    } finally {
      closeSync(opened.fd);
    }
    if (size === this.readBuffer.length) return { kind: 'changed' };
    const plaintext = this.readBuffer.subarray(0, size);
    const pieces = sealOneChunk(this.setup.userKey, this.infos.infoFor(file.relPath), plaintext, this.salts.take());
    const framed = body.tryAppendHashed(file.storedPath, pieces);
    if (framed === undefined) return { kind: 'later' };
    const { ciphertext, ctSha256 } = framed;
    return { kind: 'sealed', size, sha256: hash('sha256', plaintext, 'hex'), ctSha256, bodyStart: ciphertext.byteOffset - body.body().byteOffset, bodyBytes: ciphertext.length };
  }

  /**
   * Reads the file into the read buffer; returns its length, or the buffer's
   * length for a file that grew past it (one byte more than the largest small
   * file of the plan). A short read of a regular file is its end.
   */
  private readAll(fd: number, scannedSize: number): number {
    const buffer = this.readBuffer;
    let size = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, size, buffer.length - size, size);
      size += bytesRead;
      if (size === buffer.length || bytesRead === 0 || size === scannedSize) return size;
    }
  }
}
