import { constants, lstat, lstatSync, readdir, readdirSync, type Dirent, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { childPath, isEscapedPart, keyPartFor, type FsPath } from '../manifest/file-keys.js';
import { isHiddenName } from './entry-names.js';
import { errorCode, ShareMissingError, ShareUnreadableError } from './errors.js';
import { HELPER_FAILED, LstatHelper, MAX_BATCH } from './lstat-helper.js';

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
  /**
   * The second thread that lstats files beside the walk (lstat-helper.ts):
   * started once the walk has stated `startAfterFiles` entries, for runs of
   * at least `minBatch` files of one folder (LSTAT_HELPER gives the usual
   * values). Absent or false: none. Tests set both low, and may hand over a
   * helper already `running` (the walk leaves it open).
   */
  lstatHelper?: { minBatch: number; startAfterFiles: number; running?: LstatHelper } | false;
  /** Tests only: called with a folder's relPath once its entries are on the work list, before any is stated. */
  afterListing?: (relPath: string) => void;
}

/**
 * How the calls are made, measured on these machines for 50,000 files:
 * `lstatSync` ~0.13 s, callback `lstat` 0.15–0.5 s, fs/promises ~0.7 s; and
 * for 5,000 folders `readdirSync` ~0.06 s, callback `readdir` ~0.2 s,
 * `opendir` iteration ~1 s. That decides whether a no-change scan fits its
 * budget, so the walk makes synchronous calls, in slices of SLICE_MS between
 * which the event loop runs. Synchronous calls are only cheap while the file
 * system answers from memory: two calls in a row that had to wait (a cold
 * cache, a slow or network disk) switch the walk to callbacks, CALLS_IN_FLIGHT
 * at a time, for CALLBACK_CALLS calls; then synchronous calls are tried again.
 * So the event loop waits on a cold disk twice per CALLBACK_CALLS calls at
 * most, and a call that was slow only because other processes held the CPU (a
 * busy machine) or the garbage collector ran in it (every few thousand files
 * in a walk of 200,000) does not send the walk through libuv's pool, which
 * costs up to several times the CPU per file (issue 15: the no-change run of
 * 50,000 files spent 2.1 s in lstat that way; with one slow call enough, a
 * walk of 200,000 files on a busy machine still made about a third of its
 * lstat calls by callbacks). (A network mount that hangs outright would hold
 * it; shares live on local disks.)
 */
const SLICE_MS = 4;
const SLOW_CALL_MS = 5;
/** readdirSync of a big folder is slow without waiting on a disk: allow this much per entry. */
const SLOW_CALL_MS_PER_ENTRY = 0.002;
const CALLS_IN_FLIGHT = 64;
const CALLBACK_CALLS = 1000;
/**
 * The lstat helper for a walk whose time counts (the no-change check): after
 * 5,000 files, as a share this small is walked in well under 0.1 s and a
 * thread costs ~20 ms to start and ~17 MB while it runs (~10 MB of which the
 * allocator keeps after it ends); for runs of 64 files of a folder or more, as
 * a message to the helper costs more than a few calls.
 */
export const LSTAT_HELPER = { minBatch: 64, startAfterFiles: 5000 } as const;

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
  const helper = new HelperSlot(options.lstatHelper);
  try {
    await runTasks(tasks, result, options, helper);
  } finally {
    helper.close();
  }
  return result;
}

/** The lstat helper of one walk: started when the walk is big enough, closed at its end. */
class HelperSlot {
  private helper: LstatHelper | undefined;
  private readonly ownsHelper: boolean;
  private readonly minBatch: number;
  private readonly startAfterFiles: number;
  /** entries stated so far, by the walk or the helper */
  stated = 0;

  constructor(setting: WalkOptions['lstatHelper']) {
    this.minBatch = setting ? setting.minBatch : Infinity;
    this.startAfterFiles = setting ? setting.startAfterFiles : Infinity;
    this.helper = setting ? setting.running : undefined;
    this.ownsHelper = this.helper === undefined;
  }

  /** The helper for a run of `files` entries, if the run and the walk so far are big enough. */
  forRun(files: number): LstatHelper | undefined {
    if (files < this.minBatch || this.stated < this.startAfterFiles) return undefined;
    this.helper ??= new LstatHelper();
    return this.helper.usable ? this.helper : undefined;
  }

  close(): void {
    if (this.ownsHelper) this.helper?.close();
  }
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

/** A listed entry: its name as text, or as bytes in a folder where some name is not UTF-8. */
type Listed = Dirent<string> | Dirent<Buffer>;

/** What readdir puts in place of bytes that are not UTF-8: such a folder is listed again as bytes. */
const REPLACEMENT_CHARACTER = '\uFFFD';

function hasUndecodedName(entries: Dirent<string>[]): boolean {
  for (const entry of entries) if (entry.name.includes(REPLACEMENT_CHARACTER)) return true;
  return false;
}

/**
 * A folder's entries, names read as text: a Buffer per name cost about 2 µs a
 * file in a walk of 200,000 (issue 15). A folder where some name is not UTF-8
 * is listed again as bytes, so every name still becomes its exact key.
 */
function listFolderSync(folder: FsPath): Listed[] {
  const entries = readdirSync(folder, { withFileTypes: true });
  return hasUndecodedName(entries) ? readdirSync(folder, { withFileTypes: true, encoding: 'buffer' }) : entries;
}

function listFolder(folder: FsPath, done: (error: NodeJS.ErrnoException | null, entries: Listed[]) => void): void {
  readdir(folder, { withFileTypes: true }, (error, entries) => {
    if (error || !hasUndecodedName(entries)) done(error, entries);
    else readdir(folder, { withFileTypes: true, encoding: 'buffer' }, done);
  });
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
function runTasks(tasks: Task[], result: WalkResult, options: WalkOptions, helper: HelperSlot): Promise<void> {
  const slowCallMs = options.switching?.slowCallMs ?? SLOW_CALL_MS;
  const callbackCalls = options.switching?.callbackCalls ?? CALLBACK_CALLS;
  return new Promise((resolve, reject) => {
    let synchronous = options.synchronousCalls ?? true;
    // calls left to make by callbacks before synchronous calls are tried again
    let callbacksLeft = synchronous ? 0 : Infinity;
    let inFlight = 0;
    let failure: unknown;
    const lastCall = { slow: false };
    const pump = (): void => {
      if (failure === undefined && options.signal?.aborted) failure = options.signal.reason;
      // the callbacks' turn is over once the last one came back
      if (!synchronous && callbacksLeft === 0 && inFlight === 0) synchronous = true;
      if (failure === undefined && synchronous) {
        try {
          const outcome = runSlice(tasks, result, slowCallMs, lastCall, helper, options.afterListing);
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
        }, options.afterListing);
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

/**
 * Synchronous calls until the work list is empty, the slice is used up, or a
 * second call in a row had to wait on the disk (`lastCall` carries whether
 * the one before was slow across slices).
 */
function runSlice(
  tasks: Task[],
  result: WalkResult,
  slowCallMs: number,
  lastCall: { slow: boolean },
  helper: HelperSlot,
  afterListing: ((relPath: string) => void) | undefined,
): 'done' | 'time-up' | 'slow-disk' {
  const sliceStart = performance.now();
  while (tasks.length > 0) {
    const run = filesOnTop(tasks);
    const batchHelper = helper.forRun(run);
    let slow: boolean;
    let callEnd: number;
    if (batchHelper === undefined) {
      const task = tasks.pop() as Task;
      const callStart = performance.now();
      const entries = runTaskSync(task, tasks, result, afterListing);
      callEnd = performance.now();
      slow = callEnd - callStart > slowCallMs + entries * SLOW_CALL_MS_PER_ENTRY;
      if (task.kind === 'entry') helper.stated += 1;
    } else {
      slow = runBatch(tasks, run, batchHelper, slowCallMs, result);
      helper.stated += run;
      callEnd = performance.now();
    }
    if (slow && lastCall.slow) {
      lastCall.slow = false;
      return 'slow-disk';
    }
    lastCall.slow = slow;
    if (slow || callEnd - sliceStart > SLICE_MS) return 'time-up';
  }
  return 'done';
}

/** How many entries to lstat lie on top of the work list, up to MAX_BATCH (folders and byte paths end the run). */
function filesOnTop(tasks: Task[]): number {
  let run = 0;
  for (let index = tasks.length - 1; index >= 0 && run < MAX_BATCH; index -= 1) {
    const task = tasks[index] as Task;
    if (task.kind !== 'entry' || typeof task.absPath !== 'string') break;
    run += 1;
  }
  return run;
}

/**
 * The top `run` entries of the work list, lstat'ed by the walk and the helper
 * together, then applied in the order they would have been popped one by one.
 * A stated folder (a type the listing did not tell) is listed next, before the
 * rest of the run, as it would have been: the rest goes back on the list.
 * Returns whether one of the walk's own calls was slow.
 */
function runBatch(tasks: Task[], run: number, helper: LstatHelper, slowCallMs: number, result: WalkResult): boolean {
  // in the order of popping: the top of the list first
  const batch = tasks.splice(tasks.length - run, run).reverse();
  const { stated, slowCall } = helper.statBatch(
    batch.map((task) => task.absPath as string),
    slowCallMs,
  );
  const values = helper.values;
  let index = 0;
  for (; index < stated; index += 1) {
    const task = batch[index] as Task;
    const mode = values[index * 4] as number;
    const error = helper.errors[index];
    if (error !== undefined) classifyStated(task, error, undefined, tasks, result);
    // the helper's call failed: the walk's own call says why, or finds the file after all
    else if (mode === HELPER_FAILED) {
      const listed = tasks.length;
      runTaskSync(task, tasks, result);
      if (tasks.length > listed) return listNext(tasks, batch, index, slowCall);
    } else if ((mode & S_IFMT) === S_IFDIR) {
      tasks.push({ ...task, kind: 'folder' });
      return listNext(tasks, batch, index, slowCall);
    } else classifyMode(task, mode, values[index * 4 + 1] as number, values[index * 4 + 2] as number, values[index * 4 + 3] as number, result);
  }
  pushBack(tasks, batch, index);
  return slowCall;
}

/** The folder batch[index] turned out to be (on top of the list) goes back on top, above the rest of the batch. */
function listNext(tasks: Task[], batch: Task[], index: number, slowCall: boolean): boolean {
  const folder = tasks.pop() as Task;
  pushBack(tasks, batch, index + 1);
  tasks.push(folder);
  return slowCall;
}

/** Puts batch[from..] back on the work list, to be popped in the same order again. */
function pushBack(tasks: Task[], batch: Task[], from: number): void {
  for (let index = batch.length - 1; index >= from; index -= 1) tasks.push(batch[index] as Task);
}

/** One readdirSync or lstatSync; returns the number of entries listed. */
function runTaskSync(task: Task, tasks: Task[], result: WalkResult, afterListing?: (relPath: string) => void): number {
  if (task.kind === 'folder') {
    let entries: Listed[];
    try {
      entries = listFolderSync(task.absPath);
    } catch (error) {
      reportFolderError(task, error as NodeJS.ErrnoException, result);
      return 0;
    }
    for (const entry of entries) classifyListed(entry, task, tasks, result);
    afterListing?.(task.relPath);
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
function runTaskByCallback(task: Task, tasks: Task[], result: WalkResult, done: (error?: unknown) => void, afterListing?: (relPath: string) => void): void {
  const guarded = (work: () => void): void => {
    try {
      work();
      done();
    } catch (error) {
      done(error);
    }
  };
  if (task.kind === 'folder') {
    listFolder(task.absPath, (error, entries) =>
      guarded(() => {
        if (error) reportFolderError(task, error, result);
        else for (const entry of entries) classifyListed(entry, task, tasks, result);
        afterListing?.(task.relPath);
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
function classifyListed(entry: Listed, folder: Task, tasks: Task[], result: WalkResult): void {
  const name = entry.name;
  if (isHiddenName(name)) return;
  // most names are plain ASCII: their own key, with no Buffer made to check them
  const raw = typeof name === 'string' && isPlainName(name) ? undefined : typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
  const part = raw === undefined ? (name as string) : keyPartFor(raw);
  const relPath = folder.relPath === '' ? part : `${folder.relPath}/${part}`;
  // an ordinary name is already decoded: the hot path of a big share skips a second decoding
  const absPath =
    typeof folder.absPath === 'string' && !isEscapedPart(part) ? folder.absPath + path.sep + part : childPath(folder.absPath, raw ?? Buffer.from(part, 'utf8'));
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
  } else if (stats.isDirectory()) tasks.push({ ...task, kind: 'folder' });
  else classifyMode(task, stats.mode, stats.size, stats.mtimeMs, stats.ino, result);
}

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK } = constants;

/** A stated entry that is not a folder, by its mode bits (the test Stats.isFile() and its siblings make). */
function classifyMode(task: Task, mode: number, size: number, mtimeMs: number, ino: number, result: WalkResult): void {
  const type = mode & S_IFMT;
  if (type === S_IFREG) result.files.push({ relPath: task.relPath, size, mtimeMs: Math.floor(mtimeMs), ino });
  else if (type === S_IFLNK) result.skipped.push({ relPath: task.relPath, reason: 'symlink' });
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

const BACKSLASH = 0x5c;

/** ASCII without a backslash: a name that is its own key (file-keys.ts), NFC by construction. */
function isPlainName(name: string): boolean {
  for (let index = 0; index < name.length; index += 1) {
    const code = name.charCodeAt(index);
    if (code >= 0x80 || code === BACKSLASH) return false;
  }
  return true;
}

/** Some file systems do not report entry types in the listing (DT_UNKNOWN); lstat tells. */
function isUnknownType(entry: Listed): boolean {
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
