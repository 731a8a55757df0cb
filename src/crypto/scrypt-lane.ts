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
    const startedNs = process.hrtime.bigint();
    const derived = scryptSync(secret, salt, length, options);
    parentPort.postMessage({ derived, startedNs, endedNs: process.hrtime.bigint() });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface ScryptJob {
  queue: string;
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
  /** Jobs that may wait in each queue behind the running one; one more is refused at once (PasswordHashError 'busy'). */
  maxWaiting: number;
  /** An idle worker exits after this long, giving its memory back; the next job starts a new one. */
  idleExitMs?: number;
  /** Told of each derivation done: its queue and when scrypt ran in the worker (monotonic ns, the process's clock). */
  onDerived?: (job: { queue: string; startedNs: bigint; endedNs: bigint }) => void;
}

/**
 * One worker thread that derives scrypt keys one at a time. Jobs wait in
 * named queues, each in order and bounded on its own, and the queues take
 * turns: a flood in one delays a job of another by one derivation at most.
 * The worker starts on the first job and exits after a while idle; between
 * jobs it is unref'd, so it never keeps a process (or a test run) alive.
 */
export class ScryptLane {
  private worker: Worker | undefined;
  private running: ScryptJob | undefined;
  /** The waiting jobs of each queue, in the order the queues were first used. */
  private readonly queues = new Map<string, ScryptJob[]>();
  /** The queue served last: the next turn goes to the one after it. */
  private lastQueue: string | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ScryptLaneOptions) {}

  derive(secret: string, salt: Buffer, length: number, options: ScryptOptions, queue = this.options.name): Promise<Buffer> {
    let waiting = this.queues.get(queue);
    if (!waiting) this.queues.set(queue, (waiting = []));
    if (waiting.length >= this.options.maxWaiting) {
      return Promise.reject(new PasswordHashError('busy', `Too many passwords are waiting to be checked (${queue}); try again in a few seconds`));
    }
    const jobs = waiting;
    return new Promise<Buffer>((resolve, reject) => {
      jobs.push({ queue, secret, salt, length, options, resolve, reject });
      this.startNext();
    });
  }

  /** The first waiting job of the queue after the one served last (round robin). */
  private nextJob(): ScryptJob | undefined {
    const names = [...this.queues.keys()];
    const after = this.lastQueue === undefined ? 0 : names.indexOf(this.lastQueue) + 1;
    for (let i = 0; i < names.length; i += 1) {
      const job = this.queues.get(names[(after + i) % names.length] as string)?.shift();
      if (job) return job;
    }
    return undefined;
  }

  private startNext(): void {
    if (this.running) return;
    const job = this.nextJob();
    if (!job) return this.idle();
    this.lastQueue = job.queue;
    clearTimeout(this.idleTimer);
    this.running = job;
    const worker = this.worker ?? this.startWorker();
    worker.ref();
    // the salt as a copy on a buffer of its own, moved: a Buffer from Node's shared pool would clone the whole pool across
    const salt = new Uint8Array(job.salt);
    worker.postMessage({ secret: job.secret, salt, length: job.length, options: job.options }, [salt.buffer]);
  }

  private startWorker(): Worker {
    // no --import tsx or test flags: the worker's program is plain JavaScript
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], name: `scrypt-${this.options.name}` });
    worker.on('message', (message: { derived?: Uint8Array; startedNs?: bigint; endedNs?: bigint; error?: string }) => {
      if (message.derived) {
        if (this.running && message.startedNs !== undefined && message.endedNs !== undefined) {
          this.options.onDerived?.({ queue: this.running.queue, startedNs: message.startedNs, endedNs: message.endedNs });
        }
        this.finish(undefined, Buffer.from(message.derived.buffer, message.derived.byteOffset, message.derived.byteLength));
      } else this.finish(new Error(message.error ?? 'scrypt failed'));
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
