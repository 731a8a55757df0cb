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

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used so far, in seconds; undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces), from field 3 on
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine spent busy so far (every core, /proc/stat), and how much of it the hypervisor stole. */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, _idle = 0, _iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND, steal: steal / CLOCK_TICKS_PER_SECOND };
}

/** CPU seconds so far of each thread of a process, by thread id, with its name (`main` for the main thread). */
export function threadCpuSeconds(pid: number): Map<number, { name: string; seconds: number }> {
  const threads = new Map<number, { name: string; seconds: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).trim();
      // Node 20 leaves its libuv pool and V8 helper threads all named "node"
      const name = Number(tid) === pid ? 'main' : comm === 'node' ? 'other threads' : comm;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(Number(tid), { name, seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND });
    } catch {
      // the thread ended
    }
  }
  return threads;
}

/** CPU used between two `threadCpuSeconds` readings, summed by thread name (libuv-worker, V8 workers…), largest first. */
export function threadCpuDelta(
  before: Map<number, { name: string; seconds: number }>,
  after: Map<number, { name: string; seconds: number }>,
): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const [tid, thread] of after) {
    const used = thread.seconds - (before.get(tid)?.seconds ?? 0);
    if (used > 0) byName[thread.name] = (byName[thread.name] ?? 0) + used;
  }
  return Object.fromEntries(Object.entries(byName).sort((x, y) => y[1] - x[1]));
}
