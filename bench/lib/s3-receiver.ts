import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cleanup } from './cleanup.js';
import { REPO_ROOT } from './servers.js';

/** Where server B keeps what A sends it: its disk (the default) or a bucket on a local S3 server. */
export type Receiver = 'fs' | 's3';
export const RECEIVERS: readonly Receiver[] = ['fs', 's3'];

/** BENCH_RECEIVER=fs, s3 or fs,s3 (each set runs once per receiver, in that order). */
export function benchReceivers(): Receiver[] {
  const raw = process.env.BENCH_RECEIVER?.trim();
  if (raw === undefined || raw === '') return ['fs'];
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) if (!(RECEIVERS as readonly string[]).includes(name)) throw new Error(`BENCH_RECEIVER must be fs, s3 or fs,s3, got ${raw}`);
  return [...new Set(names as Receiver[])];
}

export interface S3Receiver {
  pid: number;
  /** What makes `anemone serve` keep incoming backups in this server's bucket. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * s3rver (test/helpers/local-s3.ts) in its own process, its objects below
 * `dir`: the bench reads its CPU by pid, apart from B's and the bench's.
 */
export async function startS3Receiver(dir: string, cleanup: Cleanup): Promise<S3Receiver> {
  const child: ChildProcess = cleanup.child(
    spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'lib', 's3rver-main.ts'), dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(() => {
      throw new Error(`the local S3 server exited: ${stderr}`);
    }),
    delay(30_000, undefined, { ref: false }).then(() => {
      throw new Error(`the local S3 server did not start in 30 s: ${stderr}`);
    }),
  ]);
  lines.close();
  const { endpoint, bucket } = JSON.parse(first) as { endpoint: string; bucket: string };
  return {
    pid: child.pid as number,
    // s3rver accepts the key S3RVER / S3RVER (local-s3.ts)
    env: {
      ANEMONE_INCOMING_STORE: 's3',
      ANEMONE_S3_ENDPOINT: endpoint,
      ANEMONE_S3_REGION: 'us-east-1',
      ANEMONE_S3_BUCKET: bucket,
      ANEMONE_S3_PREFIX: 'bench',
      ANEMONE_S3_FORCE_PATH_STYLE: 'true',
      ANEMONE_S3_ACCESS_KEY_ID: 'S3RVER',
      ANEMONE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => false), delay(10_000, undefined, { ref: false }).then(() => true)]);
      if (killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
