/**
 * The main thread's handle on the thread that seals small files
 * (seal-worker.ts): one per run that has 64 small files or more to send, so its ~22 MB
 * are held only while they are sent, and a thread that failed is never used
 * again (the next run starts its own). The user's key crosses once, as the
 * thread's workerData (it never leaves the process, and is never logged);
 * the thread zeroes its copy when the run ends normally.
 */
import { Worker } from 'node:worker_threads';
import type { ManifestContext } from '../../crypto/format-v1.js';
import { AnemoneError } from '../../errors/catalogue.js';
import type { ShareRoot } from '../../scan/open-share-file.js';
import type { SealerSetup, SealOutcome, SmallFile } from './seal-small-files.js';

/** The setup as it crosses to the thread. */
export interface SealerData {
  root: ShareRoot;
  context: ManifestContext;
  userKey: Uint8Array;
  readBufferBytes: number;
}

/** Files to frame into `body`, an empty buffer handed over (transferred) with them. */
export interface SealJob {
  files: SmallFile[];
  body: ArrayBuffer;
}

/** The body back, its first `bytes` framed, and what became of each file of the job. */
export interface SealedBody {
  outcomes: SealOutcome[];
  body: ArrayBuffer;
  bytes: number;
}

interface Waiting {
  resolve(answer: SealedBody): void;
  reject(error: unknown): void;
}

export interface SealThreadOptions {
  /** Stops the thread: every job waiting rejects at once with the signal's reason, and the thread exits once the job in hand is done (its answer dropped). */
  signal: AbortSignal;
  /** The thread's program; tests give one that fails. */
  entry?: URL | undefined;
}

export class SealThread {
  private readonly worker: Worker;
  /** Jobs posted and not answered yet: the thread answers them in order. */
  private readonly waiting: Waiting[] = [];
  private failure: { error: unknown } | undefined;
  private stopping = false;
  private readonly exited: Promise<void>;
  private readonly onAbort = () => {
    this.fail(this.signal.reason);
    // not terminated: the thread finishes the job in hand, closing the files it opened ahead (read-ahead.ts), then exits
    this.end();
  };
  private readonly signal: AbortSignal;

  constructor(setup: SealerSetup, options: SealThreadOptions) {
    this.signal = options.signal;
    const { workerData, transferList } = sealerWorkerData(setup);
    this.worker = startWorker(options.entry ?? defaultEntry(), workerData, transferList);
    this.worker.on('message', (answer: SealedBody) => this.waiting.shift()?.resolve(answer));
    this.worker.on('error', (error) => this.fail(new SealThreadFailedError(error.message, error)));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.signal.removeEventListener('abort', this.onAbort);
        if (!this.stopping) this.fail(new SealThreadFailedError(`it exited with code ${code}`));
        resolve();
      });
    });
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    if (this.signal.aborted) this.onAbort();
  }

  /** Seals `files` into `body` (handed over: unusable here until the answer gives it back). */
  seal(files: SmallFile[], body: ArrayBuffer): Promise<SealedBody> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      const job: SealJob = { files, body };
      this.worker.postMessage(job, [body]);
    });
  }

  /** Ends the thread once it answered every job: it zeroes its copy of the key and exits. */
  async stop(): Promise<void> {
    if (!this.failure) this.end();
    else if (!this.stopping) {
      this.stopping = true;
      void this.worker.terminate();
    }
    await this.exited;
  }

  private end(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.worker.postMessage('end');
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    for (const job of this.waiting.splice(0)) job.reject(this.failure.error);
  }
}

/**
 * dist/ runs the compiled program as is; the sources (tests, the bench
 * through tsx) need tsx in the thread too, which Node 20 does not carry into
 * a worker from `--import tsx`, so a one-line bootstrap registers it first.
 */
function defaultEntry(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './seal-worker.ts' : './seal-worker.js', import.meta.url);
}

/**
 * The thread's setup, its key a copy of the 32 bytes on a buffer of its own,
 * moved to the thread rather than cloned: a key Buffer cut from Node's shared
 * 8 KiB pool would carry the whole pool across (other small buffers with it),
 * and the thread zeroes only the key's own bytes.
 */
export function sealerWorkerData(setup: SealerSetup): { workerData: SealerData; transferList: ArrayBuffer[] } {
  const userKey = new Uint8Array(setup.userKey);
  const workerData: SealerData = { root: setup.root, context: setup.context, userKey, readBufferBytes: setup.readBufferBytes };
  return { workerData, transferList: [userKey.buffer] };
}

function startWorker(entry: URL, workerData: SealerData, transferList: ArrayBuffer[]): Worker {
  const options = { workerData, transferList, name: 'seal-small-files' };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** The thread that reads and encrypts small files failed: the run stops; the next one starts a new thread. */
export class SealThreadFailedError extends AnemoneError {
  constructor(detail: string, cause?: unknown) {
    super('SYNC_SEAL_THREAD_FAILED', {
      message: `The thread that reads and encrypts the small files stopped unexpectedly (${detail}); this sync stopped`,
      cause,
    });
    this.name = 'SealThreadFailedError';
  }
}
