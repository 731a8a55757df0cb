import { lstat, lstatSync, readdir, readdirSync, type Dirent, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { childPath, isEscapedPart, keyPartFor, type FsPath } from '../manifest/file-keys.js';
import { isHiddenName } from './entry-names.js';
import { errorCode, ShareMissingError, ShareUnreadableError } from './errors.js';

export type SkipReason =
  | 'symlink'
  | 'not-a-regular-file'
  /** gone between being listed and being read: it is simply no longer part of the share */
  | 'vanished'
  /** size, mtime or identity changed while it was read: it is read again next time */
  | 'changed-during-scan'
  /** permission denied or an I/O error */
  | 'unreadable'
  /** a folder on its path was swapped for a link leading out of the share: never read */
  | 'outside-share';

export interface SkippedEntry {
  relPath: string;
  reason: SkipReason;
  /** the errno code, when an error was the reason */
  detail?: string;
}

/** A regular file as `lstat` saw it during the walk. */
export interface StatedFile {
  /** the file's key (manifest/file-keys.ts): its own text for ordinary names, escaped otherwise */
  relPath: string;
  size: number;
  /** floored to whole milliseconds, as the manifest and the hash cache record it */
  mtimeMs: number;
  ino: number;
}

export interface WalkResult {
  files: StatedFile[];
  skipped: SkippedEntry[];
  /**
   * relPaths of files and folders that exist but could not be read this time.
   * The sync keeps what the peer holds for them (and under them) instead of
   * deleting it: a permission glitch must not wipe part of a backup.
   */
  unread: string[];
}

interface Task {
  kind: 'folder' | 'entry';
  absPath: FsPath;
  relPath: string;
}

interface WalkOptions {
  signal?: AbortSignal;
  onProgress?: (filesSeen: number) => void;
  /** false: callbacks from the start, as on a slow disk (tests cover both ways with it) */
  synchronousCalls?: boolean;
  /** Tests only: when a synchronous call counts as slow (ms), and how many calls go by callbacks before synchronous ones are tried again. */
  switching?: { slowCallMs: number; callbackCalls: number };
}

/**
 * How the calls are made, measured on these machines for 50,000 files:
 * `lstatSync` ~0.13 s, callback `lstat` 0.15–0.5 s, fs/promises ~0.7 s; and
 * for 5,000 folders `readdirSync` ~0.06 s, callback `readdir` ~0.2 s,
 * `opendir` iteration ~1 s. That decides whether a no-change scan fits its
 * budget, so the walk makes synchronous calls, in slices of SLICE_MS between
 * which the event loop runs. Synchronous calls are only cheap while the file
 * system answers from memory: the first call that has to wait (a cold cache,
 * a slow or network disk) switches the walk to callbacks, CALLS_IN_FLIGHT at a
 * time, for CALLBACK_CALLS calls; then synchronous calls are tried again. So
 * the event loop waits on a cold disk once per CALLBACK_CALLS calls at most,
 * and one call that was slow only because other processes held the CPU (a
 * busy machine) no longer sends the rest of the walk through libuv's pool,
 * which costs up to several times the CPU per file (issue 15: the no-change run
 * of 50,000 files spent 2.1 s in lstat that way). (A network mount that hangs
 * outright would hold it; shares live on local disks.)
 */
const SLICE_MS = 4;
const SLOW_CALL_MS = 5;
/** readdirSync of a big folder is slow without waiting on a disk: allow this much per entry. */
const SLOW_CALL_MS_PER_ENTRY = 0.002;
const CALLS_IN_FLIGHT = 64;
const CALLBACK_CALLS = 1000;

/**
 * Lists every regular file under `root` with its size and mtime. Folders and
 * entries go through one work list (no recursion, so no depth limit, and
 * small folders are read in parallel too). Hidden entries are left out
 * silently; symlinks and special files are left out and reported. Names are
 * read as bytes: any name becomes a key (file-keys.ts), none is skipped. A
 * symlinked root is followed (a share may live on another disk); links
 * inside the share never are.
 */
export async function walkShare(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const absRoot = path.resolve(root);
  await assertShareFolder(absRoot);
  const result: WalkResult = { files: [], skipped: [], unread: [] };
  const tasks: Task[] = [];
  // the root is listed first, on its own, so its errors are the share's errors
  for (const entry of await listRoot(absRoot)) classifyListed(entry, { kind: 'folder', absPath: absRoot, relPath: '' }, tasks, result);
  await runTasks(tasks, result, options);
  return result;
}

async function assertShareFolder(root: string): Promise<void> {
  let stats;
  try {
    stats = await stat(root);
  } catch (error) {
    throw shareError(root, error);
  }
  if (!stats.isDirectory()) throw new ShareMissingError(root, { detail: 'a file is there instead of a folder' });
}

function listRoot(root: string): Promise<Dirent<Buffer>[]> {
  return new Promise((resolve, reject) => {
    readdir(root, { withFileTypes: true, encoding: 'buffer' }, (error, entries) => (error ? reject(shareError(root, error)) : resolve(entries)));
  });
}

function shareError(root: string, error: unknown): Error {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR' ? new ShareMissingError(root, { cause: error }) : new ShareUnreadableError(root, error);
}

/** Runs the work list until it is empty and nothing is in flight: in synchronous slices, and by callbacks while the disk is slow. */
function runTasks(tasks: Task[], result: WalkResult, options: WalkOptions): Promise<void> {
  const slowCallMs = options.switching?.slowCallMs ?? SLOW_CALL_MS;
  const callbackCalls = options.switching?.callbackCalls ?? CALLBACK_CALLS;
  return new Promise((resolve, reject) => {
    let synchronous = options.synchronousCalls ?? true;
    // calls left to make by callbacks before synchronous calls are tried again
    let callbacksLeft = synchronous ? 0 : Infinity;
    let inFlight = 0;
    let failure: unknown;
    const pump = (): void => {
      if (failure === undefined && options.signal?.aborted) failure = options.signal.reason;
      // the callbacks' turn is over once the last one came back
      if (!synchronous && callbacksLeft === 0 && inFlight === 0) synchronous = true;
      if (failure === undefined && synchronous) {
        try {
          const outcome = runSlice(tasks, result, slowCallMs);
          options.onProgress?.(result.files.length);
          if (outcome === 'time-up') {
            setImmediate(pump);
            return;
          }
          if (outcome === 'slow-disk') {
            synchronous = false;
            callbacksLeft = callbackCalls;
          }
        } catch (error) {
          failure = error;
        }
      }
      // LIFO: depth first, so the list stays about as long as one folder's entries
      while (failure === undefined && !synchronous && callbacksLeft > 0 && inFlight < CALLS_IN_FLIGHT && tasks.length > 0) {
        const task = tasks.pop() as Task;
        inFlight += 1;
        callbacksLeft -= 1;
        runTaskByCallback(task, tasks, result, (error) => {
          inFlight -= 1;
          if (error !== undefined && failure === undefined) failure = error;
          if (task.kind === 'folder') options.onProgress?.(result.files.length);
          pump();
        });
      }
      if (inFlight > 0) return;
      if (failure !== undefined) reject(failure);
      else if (tasks.length === 0) resolve();
      // a slow call that emptied the callbacks' turn at once: synchronous calls again, after the event loop ran
      else setImmediate(pump);
    };
    pump();
  });
}

/** Synchronous calls until the work list is empty, the slice is used up, or a call had to wait on the disk. */
function runSlice(tasks: Task[], result: WalkResult, slowCallMs: number): 'done' | 'time-up' | 'slow-disk' {
  const sliceStart = performance.now();
  while (tasks.length > 0) {
    const task = tasks.pop() as Task;
    const callStart = performance.now();
    const entries = runTaskSync(task, tasks, result);
    const callEnd = performance.now();
    if (callEnd - callStart > slowCallMs + entries * SLOW_CALL_MS_PER_ENTRY) return 'slow-disk';
    if (callEnd - sliceStart > SLICE_MS) return 'time-up';
  }
  return 'done';
}

/** One readdirSync or lstatSync; returns the number of entries listed. */
function runTaskSync(task: Task, tasks: Task[], result: WalkResult): number {
  if (task.kind === 'folder') {
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(task.absPath, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      reportFolderError(task, error as NodeJS.ErrnoException, result);
      return 0;
    }
    for (const entry of entries) classifyListed(entry, task, tasks, result);
    return entries.length;
  }
  let stats: Stats | undefined;
  try {
    stats = lstatSync(task.absPath);
  } catch (error) {
    classifyStated(task, error as NodeJS.ErrnoException, undefined, tasks, result);
    return 0;
  }
  classifyStated(task, null, stats, tasks, result);
  return 0;
}

/** One readdir or lstat; `done` gets an error only for a bug, never for a file system error. */
function runTaskByCallback(task: Task, tasks: Task[], result: WalkResult, done: (error?: unknown) => void): void {
  const guarded = (work: () => void): void => {
    try {
      work();
      done();
    } catch (error) {
      done(error);
    }
  };
  if (task.kind === 'folder') {
    readdir(task.absPath, { withFileTypes: true, encoding: 'buffer' }, (error, entries) =>
      guarded(() => {
        if (error) reportFolderError(task, error, result);
        else for (const entry of entries) classifyListed(entry, task, tasks, result);
      }),
    );
  } else {
    lstat(task.absPath, (error, stats) => guarded(() => classifyStated(task, error, stats, tasks, result)));
  }
}

/**
 * Sorts a listed entry: sub-folders to list, possible regular files to lstat
 * (including those whose type the file system did not report), the rest
 * reported or, if hidden, ignored.
 */
function classifyListed(entry: Dirent<Buffer>, folder: Task, tasks: Task[], result: WalkResult): void {
  if (isHiddenName(entry.name)) return;
  const part = keyPartFor(entry.name);
  const relPath = folder.relPath === '' ? part : `${folder.relPath}/${part}`;
  // an ordinary name is already decoded: the hot path of a big share skips a second decoding
  const absPath = typeof folder.absPath === 'string' && !isEscapedPart(part) ? folder.absPath + path.sep + part : childPath(folder.absPath, entry.name);
  if (entry.isDirectory()) tasks.push({ kind: 'folder', absPath, relPath });
  else if (entry.isFile() || isUnknownType(entry)) tasks.push({ kind: 'entry', absPath, relPath });
  else if (entry.isSymbolicLink()) result.skipped.push({ relPath, reason: 'symlink' });
  else result.skipped.push({ relPath, reason: 'not-a-regular-file' });
}

function classifyStated(task: Task, error: NodeJS.ErrnoException | null, stats: Stats | undefined, tasks: Task[], result: WalkResult): void {
  if (error || stats === undefined) {
    if (error?.code === 'ENOENT') result.skipped.push({ relPath: task.relPath, reason: 'vanished' });
    else {
      result.skipped.push({ relPath: task.relPath, reason: 'unreadable', ...(error?.code ? { detail: error.code } : {}) });
      result.unread.push(task.relPath);
    }
  } else if (stats.isFile()) {
    result.files.push({ relPath: task.relPath, size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), ino: stats.ino });
  } else if (stats.isDirectory()) tasks.push({ ...task, kind: 'folder' });
  else if (stats.isSymbolicLink()) result.skipped.push({ relPath: task.relPath, reason: 'symlink' });
  else result.skipped.push({ relPath: task.relPath, reason: 'not-a-regular-file' });
}

function reportFolderError(folder: Task, error: NodeJS.ErrnoException, result: WalkResult): void {
  if (error.code === 'ENOENT') {
    result.skipped.push({ relPath: folder.relPath, reason: 'vanished' });
    return;
  }
  // ENOTDIR: the folder became a file while the walk ran
  const reason = error.code === 'ENOTDIR' ? 'changed-during-scan' : 'unreadable';
  result.skipped.push({ relPath: folder.relPath, reason, ...(error.code ? { detail: error.code } : {}) });
  result.unread.push(folder.relPath);
}

/** Some file systems do not report entry types in the listing (DT_UNKNOWN); lstat tells. */
function isUnknownType(entry: Dirent<Buffer>): boolean {
  return !(
    entry.isFile() ||
    entry.isDirectory() ||
    entry.isSymbolicLink() ||
    entry.isFIFO() ||
    entry.isSocket() ||
    entry.isBlockDevice() ||
    entry.isCharacterDevice()
  );
}
