import { readFileSync, readdirSync } from 'node:fs';

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM…), or undefined when the process is gone. */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants (every thread's children, as Go programs fork from any thread). */
export function processTree(pid: number): number[] {
  const found = [pid];
  for (let index = 0; index < found.length; index++) {
    const parent = found[index] as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').split(/\s+/)) {
          if (child) found.push(Number(child));
        }
      } catch {
        // the task ended
      }
    }
  }
  return found;
}

/**
 * Samples the resident memory of a process (or the sum over its tree) every
 * `intervalMs`: the maximum since start, and since the last `mark()`.
 */
export class RssSampler {
  maxKb = 0;
  windowMaxKb = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly options: { tree?: boolean; intervalMs?: number } = {},
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.options.intervalMs ?? 100);
    this.timer.unref();
    return this;
  }

  /** Starts a new window (one run). */
  mark(): void {
    this.windowMaxKb = 0;
    this.sample();
  }

  sample(): void {
    const pids = this.options.tree ? processTree(this.pid) : [this.pid];
    let kb = 0;
    for (const pid of pids) kb += procStatusKb(pid, 'VmRSS') ?? 0;
    if (kb > this.maxKb) this.maxKb = kb;
    if (kb > this.windowMaxKb) this.windowMaxKb = kb;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** kB → MB (10^6 bytes), the unit of the targets. */
export function kbToMB(kb: number): number {
  return (kb * 1024) / 1e6;
}
