import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  ms: number;
  /** share of the window's busy (not idle) main-thread time */
  percent: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  gcMs: number;
  /** time spent in the function itself */
  self: FunctionCost[];
  /** time in the function and what it called, for the project's own code (src/, or dist/ when built) */
  total: FunctionCost[];
}

/**
 * Where one process's main thread spent a time window, from a `--cpu-prof`
 * profile. Windows are CLOCK_MONOTONIC µs (process.hrtime in the bench; V8
 * stamps samples with the same clock on Linux).
 */
export async function summarizeProfile(file: string, window: { startUs: number; endUs: number }, repoRoot: string, top = 12): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const label = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (!url) return functionName || '(anonymous)';
    let where = url.replace(/^file:\/\//, '');
    if (where.startsWith(repoRoot)) where = where.slice(repoRoot.length);
    where = where.replace(/^.*node_modules\//, 'node_modules/');
    // tsx's transpiled sources report line 0 for every function: no line is better than a wrong one
    return `${functionName || '(anonymous)'} ${where}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  let gc = 0;
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < window.startUs || at > window.endUs) continue;
    const node = byId.get(profile.samples[index] as number);
    if (!node) continue;
    const name = label(node);
    if (name === '(idle)') continue;
    busy += delta;
    if (name === '(garbage collector)') gc += delta;
    self.set(name, (self.get(name) ?? 0) + delta);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id) as ProfileNode;
      const frameName = label(frame);
      // the sources through tsx, or the build (BENCH_SERVER=dist)
      if (!(frameName.includes(' src/') || frameName.includes(' dist/')) || seen.has(frameName)) continue;
      seen.add(frameName);
      total.set(frameName, (total.get(frameName) ?? 0) + delta);
    }
  }
  const rank = (costs: Map<string, number>): FunctionCost[] =>
    [...costs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busy > 0 ? (100 * us) / busy : 0 }));
  return { windowMs: (window.endUs - window.startUs) / 1000, busyMs: busy / 1000, gcMs: gc / 1000, self: rank(self), total: rank(total) };
}
