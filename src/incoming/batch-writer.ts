import { randomBytes } from 'node:crypto';
import { rename, unlink } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BatchParser } from '../protocol/v1/index.js';
import { bodyChunks } from './body-chunks.js';
import { FinishQueue } from './finish-queue.js';
import { fsyncFolder } from './fsync.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { RealDirectories, existingFileSize } from './real-dirs.js';
import { FolderNames } from './folder-names.js';
import { safeStoredPathSegments } from './safe-path.js';
import { isCode } from './fs-errors.js';
import { HeldTempFile, type SmallFileWriter } from './held-temp-file.js';
import type { UncommittedObject } from '../db/incoming-repo.js';

/** Files written, flushed and closed in parallel while the batch streams in; bounds the open descriptors and the items held in memory too. */
const MAX_FINISHING = 64;
/**
 * Items that ended are started together, in groups this large (or this many
 * bytes): the new files among them are recorded in one statement before any
 * is opened. A row per statement of a few items cost ~20 µs a file (SQLite's
 * transaction and WAL pages), 32 rows ~5 µs. So at most MAX_FINISHING +
 * START_GROUP_ITEMS files are open at once.
 */
const START_GROUP_ITEMS = 32;
const START_GROUP_BYTES = 1024 * 1024;
/** Renames in flight at once after the body arrived. */
const FS_CONCURRENCY = 32;

/** What sits at a target before the batch: its size, or the refusal (a symlink or folder in the way). */
type TargetCheck = { size: number | undefined } | { error: unknown };
/** The check of a target known to be free: its folder was made by this batch, or listed without its name (shared, never changed). */
const NOTHING_CHECKED: TargetCheck = { size: undefined };
const NOTHING_THERE: Promise<TargetCheck> = Promise.resolve(NOTHING_CHECKED);
/** The names in a folder this batch made: none. */
const NO_NAMES: ReadonlySet<string> = new Set();

/** A folder of the batch: its full path, and the names it held before the batch (undefined: not listed, each item is looked at). */
interface BatchFolder {
  path: string;
  namesBefore: ReadonlySet<string> | undefined;
}

interface BatchItem {
  /** The stored path, relative to the share folder. */
  storedPath: string;
  temp: HeldTempFile;
  folder: string;
  target: string;
  ctSha256: string;
  /** Started as the item arrives, so the check overlaps the transfer; settled, never an unhandled rejection. */
  check: Promise<TargetCheck>;
  /** The check's answer once it came (at once when the folder's names answered it). */
  checked?: TargetCheck | undefined;
  /** Written straight at its final name (nothing was there before the batch): no temporary name, no rename. */
  direct?: boolean;
  /** Its exclusive create met a file another write put there since the check: that file is not this batch's to remove. */
  foundTaken?: boolean;
  sizeBefore?: number | undefined;
  renamed?: boolean;
  /** Its temporary file is gone (renamed into place, or dropped): nothing to clean up. */
  settled?: boolean;
}

export interface BatchTarget {
  root: string;
  /** [source, user, share]: the share folder below `root`. */
  shareSegments: readonly string[];
  /** Writes each item's file (held-temp-file.ts: the real disk's writer, or a test's disk). */
  writeSmallFile: SmallFileWriter;
  /** Called with the objects about to be renamed into place, before the first rename (the record of uncommitted objects). */
  beforeRename?: (objects: readonly UncommittedObject[]) => void;
  /** Given, a new file (nothing at its name before the batch) is written straight at its final name, recorded first. */
  direct?: DirectWrites;
  /** Called before the renames with the objects about to be replaced, to keep them (share-history.ts). */
  keepReplaced?: (objects: readonly { storedPath: string; fullPath: string }[]) => Promise<void>;
  /** Called with the objects renamed into place and the SHA-256 each was checked against. */
  placed?: (objects: readonly { path: string; ctSha256: string; size: number }[]) => void;
}

/**
 * The record of a batch's files written straight at their final names
 * (docs/architecture.md, "New small files go straight to their names"):
 * each is recorded as the batch's own before it is opened, so a failed batch
 * or a crash leaves nothing at a final name that the record does not name.
 */
export interface DirectWrites {
  /** Records new objects of the batch before any of them is opened. */
  record(objects: readonly UncommittedObject[]): void;
  /** The batch is stored: its objects are ordinary uncommitted ones now (called before it is counted). */
  settle(): void;
  /** The batch failed: forgets its objects' records, returns the stored paths still its own (the files to remove). */
  abandon(): ReadonlySet<string>;
}

/** What a batch changed, for the share's stats. */
export interface BatchOutcome {
  stored: number;
  newFiles: number;
  bytesDelta: number;
}

/**
 * Stores a batch durably as a whole: every item is checked against its
 * SHA-256 and flushed; a new file (nothing at its name before the batch) is
 * written straight at its final name once recorded as the batch's own
 * (`target.direct`), any other to a temporary file renamed into place once
 * the whole body arrived and every file is on disk; then their folders are
 * flushed. Any error before that removes every file the batch wrote, at a
 * temporary or a final name, and renames nothing.
 *
 * `record` is called with what was placed, also when a rename fails part
 * way (each placed file is complete, so it stays and is counted).
 */
export async function writeBatch(target: BatchTarget, body: Readable, record: (outcome: BatchOutcome) => void): Promise<BatchOutcome> {
  const parser = new BatchParser();
  const dirs = new RealDirectories(target.root);
  const folderNames = new FolderNames();
  const finishing = new FinishQueue(MAX_FINISHING);
  // one random prefix and a counter name every temporary file of the batch
  const prefix = randomBytes(9).toString('hex');
  const items: BatchItem[] = [];
  // each stored folder once made or checked, and listed: a batch's files share a few folders, and most items then wait on nothing
  const folders = new Map<string, BatchFolder>();
  // final names this batch writes straight: a path sent twice goes there once, its later copies by rename
  const directTargets = new Set<string>();
  // items that ended and wait for their write: the new files among them are recorded in one statement before any is opened
  const ended: BatchItem[] = [];
  let endedBytes = 0;
  let recordedDirect = false;
  const startWrites = () => {
    if (ended.length === 0) return;
    const direct = ended.filter((item) => item.direct);
    if (direct.length > 0) {
      recordedDirect = true;
      (target.direct as DirectWrites).record(direct.map((item) => ({ path: item.storedPath, bytes: item.temp.size, replaced: false })));
    }
    for (const item of ended) {
      const done = finishing.begin();
      if (item.direct) item.temp.finish(item.ctSha256, item.target, (error) => done(takenBy(item, error)));
      else item.temp.finish(item.ctSha256, item.temp.path, done);
    }
    ended.length = 0;
    endedBytes = 0;
  };
  let current: BatchItem | undefined;
  try {
    for await (const chunk of bodyChunks(body)) {
      for (const event of parser.push(chunk)) {
        if (event.kind === 'item') {
          const segments = safeStoredPathSegments(event.header.path);
          const name = segments.pop() as string;
          const folderKey = segments.join('/');
          let batchFolder = folders.get(folderKey);
          if (batchFolder === undefined) {
            const made = await dirs.ensure([...target.shareSegments, ...segments]);
            // one read of the names a folder held answers every item of the batch in it: no lstat each, and a new file goes straight to its name
            const namesBefore = dirs.madeHere(made) ? NO_NAMES : await folderNames.list(made, dirs.sizeOf(made));
            batchFolder = { path: made, namesBefore };
            folders.set(folderKey, batchFolder);
          }
          const folder = batchFolder.path;
          const targetPath = path.join(folder, name);
          if (!finishing.hasRoom()) await finishing.room();
          const item: BatchItem = {
            storedPath: event.header.path,
            temp: new HeldTempFile(folder, event.header.size, target.writeSmallFile, `${prefix}-${items.length}`),
            folder,
            target: targetPath,
            ctSha256: event.header.ctSha256,
            check: NOTHING_THERE,
          };
          // a name the folder did not hold is free; one it held (or a folder too large to list) is looked at: what is there, its size for history
          if (batchFolder.namesBefore?.has(name) === false) item.checked = NOTHING_CHECKED;
          else {
            item.check = existingFileSize(targetPath, target.root).then(
              (size) => (item.checked = { size }),
              (error: unknown) => (item.checked = { error }),
            );
          }
          current = item;
          items.push(current);
        } else if (event.kind === 'data') {
          (current as BatchItem).temp.write(event.chunk);
        } else {
          const item = current as BatchItem;
          // straight to its name only when known to be new; an answer still on its way keeps the rename
          if (target.direct && item.checked !== undefined && 'size' in item.checked && item.checked.size === undefined && !directTargets.has(item.target)) {
            item.direct = true;
            directTargets.add(item.target);
          }
          ended.push(item);
          endedBytes += item.temp.size;
          if (ended.length >= START_GROUP_ITEMS || endedBytes >= START_GROUP_BYTES) startWrites();
          current = undefined;
        }
      }
    }
    parser.finish();
    startWrites();
    await finishing.all();
    return await commit(items, directTargets, dirs.created, record, target);
  } catch (error) {
    ended.length = 0;
    await finishing.settle();
    // a direct file is removed only while the record still names it as this batch's (a later write of the path took it otherwise)
    const ours = recordedDirect ? (target.direct as DirectWrites).abandon() : new Set<string>();
    const toRemove = items.filter((item) => !item.settled && (!item.direct || (ours.has(item.storedPath) && !item.foundTaken)));
    await runWorkerPool(toRemove, (item) => (item.direct ? removeQuietly(item.target) : item.temp.discard()), { concurrency: FS_CONCURRENCY });
    await dirs.removeCreatedIfEmpty();
    throw error;
  }
}

async function commit(
  items: BatchItem[],
  directTargets: ReadonlySet<string>,
  createdFolders: readonly string[],
  record: (outcome: BatchOutcome) => void,
  hooks: Pick<BatchTarget, 'beforeRename' | 'keepReplaced' | 'placed' | 'direct'>,
): Promise<BatchOutcome> {
  // every target checked before any rename, so a symlink or folder in the way fails the batch whole
  for (const item of items) {
    const check = item.checked ?? (await item.check);
    if ('error' in check) throw check.error;
    // a path this batch wrote straight had nothing before the batch, whatever a later copy's check saw
    item.sizeBefore = directTargets.has(item.target) ? undefined : check.size;
  }
  // a path sent twice: the last copy wins, the earlier ones are dropped (a direct one is replaced by the last copy's rename)
  const latest = new Map<string, BatchItem>();
  for (const item of items) latest.set(item.target, item);
  const finals = [...latest.values()];
  const dropped = items.filter((item) => latest.get(item.target) !== item && !item.direct);
  await runWorkerPool(dropped, async (item) => {
    await item.temp.discard();
    item.settled = true;
  }, { concurrency: FS_CONCURRENCY });

  const renaming: BatchItem[] = [];
  for (const item of finals) {
    if (item.direct) item.renamed = true;
    else renaming.push(item);
  }
  // a later copy of a path this batch wrote straight keeps the batch's mark: a failure or a crash still removes what is there
  const overDirect = renaming.filter((item) => directTargets.has(item.target));
  if (overDirect.length > 0) hooks.direct?.record(overDirect.map((item) => ({ path: item.storedPath, bytes: item.temp.size, replaced: false })));
  const others = overDirect.length > 0 ? renaming.filter((item) => !directTargets.has(item.target)) : renaming;
  if (others.length > 0) hooks.beforeRename?.(others.map((item) => ({ path: item.storedPath, bytes: item.temp.size, replaced: item.sizeBefore !== undefined })));
  const replacing = finals.filter((item) => item.sizeBefore !== undefined);
  if (replacing.length > 0) await hooks.keepReplaced?.(replacing.map((item) => ({ storedPath: item.storedPath, fullPath: item.target })));
  try {
    await runWorkerPool(renaming, (item) => renameIntoPlace(item), { concurrency: FS_CONCURRENCY });
  } finally {
    // every file is complete now: none is removed after this, whatever happens
    for (const item of items) if (item.direct) item.settled = true;
    if (items.some((item) => item.direct)) hooks.direct?.settle();
    const renamed = finals.filter((item) => item.renamed);
    hooks.placed?.(renamed.map((item) => ({ path: item.storedPath, ctSha256: item.ctSha256, size: item.temp.size })));
    record(outcomeOf(renamed));
  }
  const folders = new Set(finals.map((item) => item.folder));
  for (const created of createdFolders) folders.add(path.dirname(created));
  await runWorkerPool([...folders], fsyncFolder, { concurrency: FS_CONCURRENCY });
  // every item sent was stored, a path sent twice included (its last copy is what stays)
  return { ...outcomeOf(finals), stored: items.length };
}

/** A new file's write at its final name ended with `error`: notes when the name was taken meanwhile (then it is not ours to remove). */
function takenBy(item: BatchItem, error: unknown): unknown {
  if (isCode(error, 'EEXIST')) item.foundTaken = true;
  return error;
}

/** Removes a file this batch wrote at its final name; never throws (the next start removes what is left, see FsIncomingStore.removeOrphanTemps). */
function removeQuietly(filePath: string): Promise<void> {
  return new Promise((resolve) => unlink(filePath, () => resolve()));
}

/** fs.rename's callback rather than the promise API, whose own machinery cost more than the call per small file. */
function renameIntoPlace(item: BatchItem): Promise<void> {
  return new Promise((resolve, reject) => {
    rename(item.temp.path, item.target, (error) => {
      if (error) return reject(error);
      item.renamed = true;
      item.settled = true;
      resolve();
    });
  });
}

function outcomeOf(renamed: readonly BatchItem[]): BatchOutcome {
  let newFiles = 0;
  let bytesDelta = 0;
  for (const item of renamed) {
    if (item.sizeBefore === undefined) newFiles += 1;
    bytesDelta += item.temp.size - (item.sizeBefore ?? 0);
  }
  return { stored: renamed.length, newFiles, bytesDelta };
}
