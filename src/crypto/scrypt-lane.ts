import type { ScryptOptions } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { PasswordHashError } from './errors.js';

/**
 * The worker's whole program: scryptSync on its own OS thread. crypto.scrypt
 * would run on libuv's four-thread pool, which file system calls share: four
 * blocked opens (a FIFO, a hung network mount) would hold every sign-in.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', ({ secret, salt, length, options }) => {
  try {
    parentPort.postMessage({ derived: scryptSync(secret, salt, length, options) });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface ScryptJob {
  secret: string;
  salt: Buffer;
  length: number;
  options: ScryptOptions;
  resolve: (derived: Buffer) => void;
  reject: (error: Error) => void;
}

export interface ScryptLaneOptions {
  /** Named in the thread list (and in errors): who this lane serves. */
  name: string;
  /** Jobs that may wait behind the running one; one more is refused at once (PasswordHashError 'busy'). */
  maxWaiting: number;
  /** An idle worker exits after this long, giving its memory back; the next job starts a new one. */
  idleExitMs?: number;
}

/**
 * One worker thread that derives scrypt keys one at a time, in order. The
 * worker starts on the first job and exits after a while idle; between jobs
 * it is unref'd, so it never keeps a process (or a test run) alive.
 */
export class ScryptLane {
  private worker: Worker | undefined;
  private running: ScryptJob | undefined;
  private readonly waiting: ScryptJob[] = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ScryptLaneOptions) {}

  derive(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
    if (this.waiting.length >= this.options.maxWaiting) {
      return Promise.reject(new PasswordHashError('busy', `Too many passwords are waiting to be checked (${this.options.name}); try again in a few seconds`));
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.push({ secret, salt, length, options, resolve, reject });
      this.startNext();
    });
  }

  private startNext(): void {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) return this.idle();
    clearTimeout(this.idleTimer);
    this.running = job;
    const worker = this.worker ?? this.startWorker();
    worker.ref();
    worker.postMessage({ secret: job.secret, salt: job.salt, length: job.length, options: job.options });
  }

  private startWorker(): Worker {
    // no --import tsx or test flags: the worker's program is plain JavaScript
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], name: `scrypt-${this.options.name}` });
    worker.on('message', (message: { derived?: Uint8Array; error?: string }) => {
      if (message.derived) this.finish(undefined, Buffer.from(message.derived.buffer, message.derived.byteOffset, message.derived.byteLength));
      else this.finish(new Error(message.error ?? 'scrypt failed'));
    });
    worker.on('error', (error) => {
      if (this.worker === worker) this.worker = undefined;
      this.finish(error);
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.finish(new Error('The password hashing thread stopped'));
    });
    this.worker = worker;
    return worker;
  }

  private finish(error: Error | undefined, derived?: Buffer): void {
    const job = this.running;
    this.running = undefined;
    if (job) {
      if (error || !derived) job.reject(error ?? new Error('scrypt failed'));
      else job.resolve(derived);
    }
    this.startNext();
  }

  private idle(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.running) return;
      this.worker = undefined;
      void worker.terminate();
    }, this.options.idleExitMs ?? 30_000);
    this.idleTimer.unref();
  }
}
