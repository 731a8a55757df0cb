import { spawn, spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Cleanup } from './cleanup.js';
import { RssSampler } from './memory.js';

export const TOOL_NAMES = ['rsync', 'restic', 'rclone'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];
export const TOOL_LABELS: Record<ToolName, string> = { rsync: 'rsync -a', restic: 'restic backup', rclone: 'rclone crypt' };
export const INSTALL_HINT = 'apt-get install -y rsync restic rclone';

export function toolPath(tool: ToolName): string | undefined {
  const found = spawnSync('which', [tool], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

export interface ToolRun {
  tool: ToolName;
  run: 'first' | 'no-change';
  seconds: number;
  peakKb: number;
  ok: boolean;
  error?: string;
}

interface Timed {
  seconds: number;
  peakKb: number;
  code: number | null;
  stderr: string;
}

/** Runs a command in its own process group, timing it and sampling the memory of its whole tree. */
function timed(cleanup: Cleanup, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = cleanup.child(spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true }));
    const sampler = new RssSampler(child.pid as number, { tree: true }).start();
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
    child.once('error', (error) => {
      sampler.stop();
      reject(error);
    });
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      sampler.stop();
      resolve({ seconds, peakKb: sampler.maxKb, code, stderr });
    });
  });
}

/**
 * One tool, local folder to local folder, as PERFORMANCE.md measured them:
 * the first run into an empty destination, then the same command again with
 * nothing changed. The destination is removed afterwards.
 */
export async function runToolComparison(options: {
  tool: ToolName;
  source: string;
  workDir: string;
  cleanup: Cleanup;
  /** Called before the first run (drops the page cache when it can). */
  beforeFirstRun: () => void;
}): Promise<ToolRun[]> {
  const { tool, source, workDir, cleanup } = options;
  cleanup.checkAborted();
  const dest = path.join(workDir, `${tool}-dest`);
  await mkdir(dest, { recursive: true });
  let command: string[];
  let env: NodeJS.ProcessEnv = {};
  switch (tool) {
    case 'rsync':
      command = ['rsync', '-a', `${source}/`, `${dest}/`];
      break;
    case 'restic': {
      env = { RESTIC_PASSWORD: 'bench password', RESTIC_CACHE_DIR: path.join(workDir, 'restic-cache') };
      const init = await timed(cleanup, 'restic', ['init', '--quiet', '--repo', dest], env);
      if (init.code !== 0) return failed(tool, `restic init: ${init.stderr.trim()}`);
      command = ['restic', 'backup', '--quiet', '--repo', dest, source];
      break;
    }
    case 'rclone': {
      const obscured = spawnSync('rclone', ['obscure', 'bench password'], { encoding: 'utf8' });
      if (obscured.status !== 0) return failed(tool, `rclone obscure: ${obscured.stderr.trim()}`);
      env = {
        RCLONE_CONFIG: path.join(workDir, 'rclone.conf'),
        RCLONE_CONFIG_BENCHCRYPT_TYPE: 'crypt',
        RCLONE_CONFIG_BENCHCRYPT_REMOTE: dest,
        RCLONE_CONFIG_BENCHCRYPT_PASSWORD: obscured.stdout.trim(),
      };
      command = ['rclone', 'sync', source, 'benchcrypt:'];
      break;
    }
  }
  const runs: ToolRun[] = [];
  try {
    for (const run of ['first', 'no-change'] as const) {
      cleanup.checkAborted();
      if (run === 'first') options.beforeFirstRun();
      const result = await timed(cleanup, command[0] as string, command.slice(1), env);
      const ok = result.code === 0;
      runs.push({ tool, run, seconds: result.seconds, peakKb: result.peakKb, ok, ...(ok ? {} : { error: `exit ${result.code}: ${result.stderr.trim().slice(-500)}` }) });
      if (!ok) break;
    }
  } finally {
    await rm(dest, { recursive: true, force: true });
    await rm(path.join(workDir, 'restic-cache'), { recursive: true, force: true });
  }
  return runs;
}

function failed(tool: ToolName, error: string): ToolRun[] {
  return [{ tool, run: 'first', seconds: NaN, peakKb: 0, ok: false, error }];
}
