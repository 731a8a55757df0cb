import { execFile } from 'node:child_process';
import os from 'node:os';
import { AnemoneError } from '../errors/catalogue.js';

/**
 * One flush of the file systems holding some folders, for a batch's files
 * written without an fsync each (docs/design/incoming.md, "Grouped
 * durability"). Node has no syncfs(2); coreutils' `sync -f` is that call.
 */
export interface FileSystemFlush {
  /** Whether the grouped flush works on this machine; when not, every file gets its own fsync. */
  available(): Promise<boolean>;
  /** Flushes every file system one of `folders` is on; rejects when any flush failed or could not run. */
  flush(folders: readonly string[]): Promise<void>;
}

/** syncfs(2) reports write-back errors (of pages flushed earlier by the kernel too) since Linux 5.8; before, it answered success regardless. */
const SYNCFS_REPORTS_ERRORS = [5, 8] as const;

export interface SyncCommandOptions {
  /** The program run as `<command> -f <folder>…` (coreutils' sync). */
  command?: string;
  /** The kernel's release (os.release()). */
  kernelRelease?: string;
  platform?: NodeJS.Platform;
}

/**
 * The flush through `sync -f`. Available on Linux ≥ 5.8 once a probe
 * (`sync -f /`) succeeded; a flush that failed makes the next batch ask
 * again, so a `sync` gone missing means an fsync per file from then on.
 */
export function syncCommandFlush(options: SyncCommandOptions = {}): FileSystemFlush {
  const command = options.command ?? 'sync';
  const supported = (options.platform ?? process.platform) === 'linux' && syncfsReportsErrors(options.kernelRelease ?? os.release());
  let probe: Promise<boolean> | undefined;
  return {
    available() {
      if (!supported) return Promise.resolve(false);
      probe ??= runSync(command, ['/']).then(
        () => true,
        () => false,
      );
      return probe;
    },
    async flush(folders) {
      try {
        await runSync(command, folders);
      } catch (error) {
        probe = undefined;
        throw new AnemoneError('INCOMING_STORAGE_UNAVAILABLE', {
          message: `The flush to disk of a batch's files failed (${command} -f: ${(error as Error).message.trim()}); nothing of this batch was kept`,
          cause: error,
        });
      }
    },
  };
}

/** The process's flush: one probe for the whole process. */
export const fileSystemFlush: FileSystemFlush = syncCommandFlush();

function runSync(command: string, folders: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, ['-f', '--', ...folders], { encoding: 'utf8', maxBuffer: 64 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message, { cause: error }));
      else resolve();
    });
  });
}

function syncfsReportsErrors(release: string): boolean {
  const [major = 0, minor = 0] = release.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  const [needMajor, needMinor] = SYNCFS_REPORTS_ERRORS;
  return major > needMajor || (major === needMajor && minor >= needMinor);
}
