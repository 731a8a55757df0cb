import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `<dataDir>/anemone.pid`: which process serves this data directory. A
 * command that must not run beside the server (`anemone incoming migrate`)
 * reads it. SQLite's lock cannot say it: the server keeps no long write
 * lock, and WAL mode lets a second process read and write beside it.
 */
export function serverPidFile(dataDir: string): string {
  return path.join(dataDir, 'anemone.pid');
}

export function writeServerPid(dataDir: string): void {
  // a fresh file ('wx'): never written through a link left or planted at the name
  rmSync(serverPidFile(dataDir), { force: true });
  writeFileSync(serverPidFile(dataDir), `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
}

/** Removes the file, only when it names this process (a second server's file is left alone). */
export function removeServerPid(dataDir: string): void {
  if (runningServerPid(dataDir) === process.pid) rmSync(serverPidFile(dataDir), { force: true });
}

/**
 * The process serving `dataDir`, when the file names one that is alive; a
 * file a crash left behind is ignored. `exceptSelf`, for a command that
 * serves nothing: its own pid in the file is a stale one from another pid
 * namespace (a crashed container was pid 1, as `docker compose run` is).
 */
export function runningServerPid(dataDir: string, options: { exceptSelf?: boolean } = {}): number | undefined {
  let text: string;
  try {
    text = readFileSync(serverPidFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isSafeInteger(pid) || pid <= 0 || (options.exceptSelf === true && pid === process.pid)) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, but another user's
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
