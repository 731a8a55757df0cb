/**
 * The main thread's handle on the thread that reads and seals large files
 * (seal-file-worker.ts): one per run that has large files to send, so the
 * thread's memory is held only while they are sent, and a thread that failed
 * is never used again (the next run starts its own). The user's key crosses
 * once, as the thread's workerData, in a copy of its own that is handed over
 * (nothing else of the process's memory goes with it); it never leaves the
 * process, is never logged, and the thread zeroes it when the run ends.
 *
 * The thread reads, hashes and seals while the main thread writes the
 * previous chunks to the TLS socket, so a sender with a core to spare moves
 * more bytes per second. Each file has at most CHUNKS_AHEAD chunks asked for
 * and not yet taken by its stream, whose buffer holds one more: memory stays
 * flat whatever the file's size, and a slow socket slows the reads.
 */
import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { CHUNK_SIZE, type ManifestContext } from '../../crypto/format-v1.js';
import { AnemoneError } from '../../errors/catalogue.js';
import type { FsPath } from '../../manifest/file-keys.js';
import type { ShareRoot } from '../../scan/open-share-file.js';
import { largeTransferStarted } from '../../util/heap-growth.js';
import { programBeside, startWorker } from '../../util/start-worker.js';
import { digestsOnceEnded, type EncryptedFile, type FileDigests, readProblemError } from '../encrypt-file.js';
import type { ResumeFrom } from './file-chunk-sealer.js';
import type { FileReadProblem } from '../encrypt-file.js';
import type { LargeFileToOpen } from './open-large-files.js';

/** Chunks of one file asked of the thread and not yet arrived: one being sealed while the one before it crosses. */
const CHUNKS_AHEAD = 2;

/** The setup as it crosses to the thread. */
export interface FileSealerData {
  root: ShareRoot;
  context: ManifestContext;
  userKey: Uint8Array;
}

export type FileSealRequest =
  | { kind: 'open'; file: LargeFileToOpen }
  /** One more chunk of the file. */
  | { kind: 'next'; id: number }
  | { kind: 'close'; id: number }
  /** The run is over: close everything, zero the key, exit. */
  | { kind: 'end' };

export type FileSealAnswer =
  | { kind: 'chunk'; id: number; pieces: Uint8Array[]; plaintextBytes: number; digests: { sha256: string; ciphertextSha256: Uint8Array } | undefined }
  | { kind: 'problem'; id: number; problem: FileReadProblem };

export interface FileSealThreadOptions {
  /** Stops the thread at once: its files are closed with it, and every stream still open fails with the signal's reason. */
  signal: AbortSignal;
  /** The thread's program; tests give one that fails. */
  entry?: URL | undefined;
}

/** A large file of the plan, as the upload names it. */
export interface LargeFileToSeal {
  relPath: string;
  fsRelPath: FsPath;
  size: number;
}

export class FileSealThread {
  private readonly worker: Worker;
  private readonly streams = new Map<number, ThreadSealedFileStream>();
  private nextId = 1;
  /** Why no file can be opened any more: the thread failed, or the run was stopped. */
  private failure: Error | undefined;
  /** The thread was told to end, or is gone. */
  private ended = false;
  private readonly exited: Promise<void>;
  private readonly signal: AbortSignal;
  /**
   * A stopped run ends the thread the orderly way rather than terminating it:
   * the files it has open are closed by the thread (a terminated thread's
   * descriptors would stay open, they belong to the process), after at most
   * the few chunks already asked for (milliseconds).
   */
  private readonly onAbort = () => {
    this.fail(this.signal.reason as Error, false);
    this.end();
  };

  constructor(setup: { root: ShareRoot; context: ManifestContext; userKey: Buffer }, options: FileSealThreadOptions) {
    this.signal = options.signal;
    const userKey = new Uint8Array(setup.userKey);
    const workerData: FileSealerData = { root: setup.root, context: setup.context, userKey };
    this.worker = startWorker(options.entry ?? programBeside(import.meta.url, 'seal-file-worker'), { workerData, transferList: [userKey.buffer], name: 'seal-large-files' });
    this.worker.on('message', (answer: FileSealAnswer) => this.streams.get(answer.id)?.receive(answer));
    this.worker.on('error', (error) => this.fail(new FileSealThreadFailedError(error.message, error), true));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.signal.removeEventListener('abort', this.onAbort);
        if (!this.ended) this.fail(new FileSealThreadFailedError(`it exited with code ${code}`), true);
        this.ended = true;
        resolve();
      });
    });
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    if (this.signal.aborted) this.onAbort();
  }

  /** The encrypted body of `file`, read and sealed on the thread; from `resumeFrom.startAt` for a resumed upload. */
  open(file: LargeFileToSeal, resumeFrom?: ResumeFrom): EncryptedFile {
    const id = this.nextId++;
    const stream = new ThreadSealedFileStream(this, id, file);
    if (this.failure || this.ended) {
      const failure = this.failure ?? new FileSealThreadFailedError('it had been stopped');
      process.nextTick(() => stream.fail(failure, this.failure !== this.signal.reason));
      return stream;
    }
    this.streams.set(id, stream);
    const fsRelPath = typeof file.fsRelPath === 'string' ? file.fsRelPath : new Uint8Array(file.fsRelPath);
    const resume = resumeFrom && { salt: new Uint8Array(resumeFrom.salt), startAt: resumeFrom.startAt };
    this.post({ kind: 'open', file: { id, relPath: file.relPath, fsRelPath, size: file.size, resumeFrom: resume } });
    return stream;
  }

  /** Ends the thread once the run has sent its large files: it closes what is still open, zeroes its copy of the key and exits. */
  async stop(): Promise<void> {
    this.fail(new FileSealThreadFailedError('the sync ended before the file was read'), true);
    this.end();
    await this.exited;
  }

  /** A stream asks for its next chunk. */
  next(id: number): void {
    this.post({ kind: 'next', id });
  }

  /** A stream was destroyed: the thread closes its file (a chunk already on its way is dropped on arrival). */
  forget(id: number): void {
    if (this.streams.delete(id)) this.post({ kind: 'close', id });
  }

  private post(request: FileSealRequest): void {
    if (!this.failure && !this.ended) this.worker.postMessage(request);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.worker.postMessage({ kind: 'end' } satisfies FileSealRequest);
  }

  /** No file opens from now on, and those open fail; `onThisSide` as ThreadSealedFileStream.fail. */
  private fail(error: Error, onThisSide: boolean): void {
    this.failure ??= error;
    const open = [...this.streams.values()];
    this.streams.clear();
    for (const stream of open) stream.fail(error, onThisSide);
  }
}

/**
 * A large file's encrypted body, its chunks sealed on the thread: it asks for
 * chunks while its consumer reads (at most CHUNKS_AHEAD in flight), pushes
 * each as it arrives, and ends with the digests the thread took.
 */
class ThreadSealedFileStream extends Readable implements EncryptedFile {
  readError: Error | undefined;
  private plaintextBytes = 0;
  private chunksAsked = 0;
  private chunksArrived = 0;
  private readonly chunks: number;
  private digests: FileDigests | undefined;
  private readonly transferDone = largeTransferStarted();

  constructor(
    private readonly thread: FileSealThread,
    private readonly id: number,
    private readonly file: LargeFileToSeal,
  ) {
    // room for one ciphertext chunk, as EncryptedFileStream
    super({ highWaterMark: CHUNK_SIZE });
    this.chunks = Math.max(1, Math.ceil(file.size / CHUNK_SIZE));
  }

  get bytes(): number {
    return this.plaintextBytes;
  }

  digestHex(): string {
    return digestsOnceEnded(this.digests, this.file.fsRelPath).sha256;
  }

  ciphertextDigest(): Buffer {
    return digestsOnceEnded(this.digests, this.file.fsRelPath).ciphertextSha256;
  }

  override _read(): void {
    this.askAhead();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.transferDone();
    this.thread.forget(this.id);
    callback(error);
  }

  /** What the thread answered for this file. */
  receive(answer: FileSealAnswer): void {
    if (this.destroyed) return;
    if (answer.kind === 'problem') return this.fail(readProblemError(this.file.fsRelPath, answer.problem), true);
    this.chunksArrived += 1;
    this.plaintextBytes += answer.plaintextBytes;
    for (const piece of answer.pieces) this.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    if (answer.digests) {
      this.digests = { sha256: answer.digests.sha256, ciphertextSha256: Buffer.from(answer.digests.ciphertextSha256) };
      this.push(null);
    }
    // a chunk wholly before a resumed upload's start pushed nothing, and the stream asks again only after a push
    else if (answer.pieces.length === 0) this.askAhead();
  }

  /** Ends the stream with `error`; `onThisSide` marks it as the file's or the thread's, not the upload's. */
  fail(error: Error, onThisSide: boolean): void {
    if (this.destroyed) return;
    if (onThisSide) this.readError = error;
    this.destroy(error);
  }

  private askAhead(): void {
    while (this.chunksAsked - this.chunksArrived < CHUNKS_AHEAD && this.chunksAsked < this.chunks) {
      this.chunksAsked += 1;
      this.thread.next(this.id);
    }
  }
}

/** The thread that reads and encrypts large files failed: the run stops; the next one starts a new thread. */
export class FileSealThreadFailedError extends AnemoneError {
  constructor(detail: string, cause?: unknown) {
    super('SYNC_FILE_SEAL_THREAD_FAILED', {
      message: `The thread that reads and encrypts the large files stopped unexpectedly (${detail}); this sync stopped`,
      cause,
    });
    this.name = 'FileSealThreadFailedError';
  }
}
