/**
 * The sealing of small files for a batch, synchronous from open to framing:
 * it runs on a thread of its own (seal-worker.ts), where a call that waits on
 * the disk blocks nothing else, so no call takes a trip through libuv's pool
 * (each cost a request, a pool thread's wake-up and a callback: most of the
 * sender's CPU per small file).
 */
import { closeSync, readSync } from 'node:fs';
import { hash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FileInfoWriter, sealOneChunk, type ManifestContext } from '../../crypto/format-v1.js';
import { SaltBlock } from '../../crypto/salt-block.js';
import { fsRelPathFor } from '../../manifest/file-keys.js';
import { storedNameFor } from '../../manifest/stored-names.js';
import type { BatchBodyBuilder } from '../../protocol/v1/batch-frame.js';
import { openShareFileSync, type ShareRoot } from '../../scan/open-share-file.js';
import type { SkipReason } from '../../scan/walk-share.js';
import { ReadAhead, type FileAhead } from './read-ahead.js';

/** Files opened, their reads started, ahead of the one sealed (sealIntoReadingAhead): enough to keep libuv's pool (16 threads) busy. */
const READ_AHEAD_FILES = 32;
/** Files sealed between two turns of the thread's event loop, in which the reads ahead that completed let go of their descriptors. */
const FILES_PER_TURN = 16;
/**
 * A read of the thread's own slower than this waited on the disk: a file of
 * a few KiB in the page cache reads in a few µs, one on the disk in 100 µs or
 * more; the time a larger file's bytes take to copy is allowed for.
 */
const SLOW_READ_MS = 0.05;
const SLOW_READ_MS_PER_BYTE = 0.5e-6;
/** Slow reads in a job after which the rest of it is read ahead. */
const SLOW_READS_TO_READ_AHEAD = 2;

/** A file opened to be sealed: its descriptor (with its read ahead, if one was started), or why it is skipped. */
type Opened = { fd: number; ahead?: FileAhead } | { skip: SkipReason; detail?: string };

/** A file of the plan as the main thread hands it to be sealed: the sealer works out its names (fileToSeal). */
export interface SmallFile {
  /** The manifest's path. */
  relPath: string;
  /** The size the scan saw. */
  size: number;
}

/** A file of the plan to seal, with its names on disk and on the peer. */
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

/** The file with its names: worked out by the sealer (on the sealing thread), not by the main thread, which has the more to do per file. */
export function fileToSeal(file: SmallFile): FileToSeal {
  return { relPath: file.relPath, fsRelPath: fsRelPathFor(file.relPath), storedPath: storedNameFor(file.relPath), size: file.size };
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
  private readonly readAhead = new ReadAhead();
  /** The last file's read, not read ahead, waited on the disk. */
  private lastReadSlow = false;

  /** A read slower than this (ms, plus the copy's time per byte) waited on the disk; tests give -1 to read every file ahead. */
  private readonly slowReadMs: number;

  constructor(
    private readonly setup: SealerSetup,
    options: { slowReadMs?: number } = {},
  ) {
    this.slowReadMs = options.slowReadMs ?? SLOW_READ_MS;
    this.readBuffer = Buffer.allocUnsafe(setup.readBufferBytes);
    this.infos = new FileInfoWriter(setup.context);
  }

  /** Frames as many of `files` as the body has room for, in order; says what became of each. */
  sealInto(body: BatchBodyBuilder, files: readonly FileToSeal[]): SealOutcome[] {
    return files.map((file) => this.sealOpened(body, file, this.open(file)));
  }

  /**
   * sealInto for the sealing thread. Its reads are timed; once a job's
   * reads wait on the disk (the files' pages are not in memory), the next
   * READ_AHEAD_FILES files are opened and their reads started through
   * libuv's pool (ReadAhead) while one is sealed, so the disk serves
   * several at once. Files already in memory are not read ahead: a read
   * through the pool costs more CPU than the read it saves. The event loop
   * gets a turn every few files.
   */
  async sealIntoReadingAhead(body: BatchBodyBuilder, files: readonly FileToSeal[]): Promise<SealOutcome[]> {
    const opened: (Opened | undefined)[] = [];
    const outcomes: SealOutcome[] = [];
    let slowReads = 0;
    let next = 0;
    try {
      for (const [index, file] of files.entries()) {
        if (slowReads >= SLOW_READS_TO_READ_AHEAD) {
          for (next = Math.max(next, index); next < files.length && next <= index + READ_AHEAD_FILES; next++) opened[next] = this.openAhead(files[next] as FileToSeal);
        }
        const current = opened[index] ?? this.open(file);
        // taken off the list before sealOpened closes it: a throw after its read must not close it again below
        opened[index] = undefined;
        outcomes.push(this.sealOpened(body, file, current));
        if (this.lastReadSlow) slowReads++;
        if (index % FILES_PER_TURN === FILES_PER_TURN - 1) await nextTurn();
      }
    } finally {
      // after a failure, the files opened ahead and not sealed (none after a normal end)
      for (const left of opened) if (left && 'fd' in left) this.close(left);
    }
    return outcomes;
  }

  /** Zeroes this thread's copy of the user's key: the run is over. */
  forgetKey(): void {
    this.setup.userKey.fill(0);
  }

  private open(file: FileToSeal): Opened {
    const fsRelPath = typeof file.fsRelPath === 'string' ? file.fsRelPath : Buffer.from(file.fsRelPath.buffer, file.fsRelPath.byteOffset, file.fsRelPath.byteLength);
    return openShareFileSync(this.setup.root, fsRelPath);
  }

  private openAhead(file: FileToSeal): Opened {
    const opened = this.open(file);
    return 'fd' in opened ? { fd: opened.fd, ahead: this.readAhead.start(opened.fd, file.size) } : opened;
  }

  private close(opened: { fd: number; ahead?: FileAhead }): void {
    if (opened.ahead) this.readAhead.release(opened.ahead);
    else closeSync(opened.fd);
  }

  private sealOpened(body: BatchBodyBuilder, file: FileToSeal, opened: Opened): SealOutcome {
    this.lastReadSlow = false;
    if ('skip' in opened) return { kind: 'skipped', reason: opened.skip, ...(opened.detail === undefined ? {} : { detail: opened.detail }) };
    let size: number;
    try {
      const began = performance.now();
      size = this.readAll(opened.fd, file.size);
      this.lastReadSlow = !opened.ahead && performance.now() - began > this.slowReadMs + size * SLOW_READ_MS_PER_BYTE;
    } catch (error) {
      const failure = error as NodeJS.ErrnoException;
      return { kind: 'failed', code: failure.code, message: failure.message };
    } finally {
      this.close(opened);
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
