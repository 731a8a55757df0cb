import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BatchParser } from '../protocol/v1/index.js';
import { bodyChunks } from './body-chunks.js';
import { FinishQueue } from './finish-queue.js';
import { fsyncFolder } from './fsync.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { RealDirectories, existingFileSize } from './real-dirs.js';
import { safeStoredPathSegments } from './safe-path.js';
import { HeldTempFile, type SmallFileWriter } from './held-temp-file.js';
import type { UncommittedObject } from '../db/incoming-repo.js';

/** Files written, flushed and closed in parallel while the batch streams in; bounds the open descriptors and the items held in memory too. */
const MAX_FINISHING = 64;
/** Renames in flight at once after the body arrived. */
const FS_CONCURRENCY = 32;

/** What sits at a target before the batch: its size, or the refusal (a symlink or folder in the way). */
type TargetCheck = { size: number | undefined } | { error: unknown };
/** The check of a target in a folder this batch made: nothing can be there (shared, never changed). */
const NOTHING_THERE: Promise<TargetCheck> = Promise.resolve({ size: undefined });

interface BatchItem {
  /** The stored path, relative to the share folder. */
  storedPath: string;
  temp: HeldTempFile;
  folder: string;
  target: string;
  ctSha256: string;
  /** Started as the item arrives, so the check overlaps the transfer; settled, never an unhandled rejection. */
  check: Promise<TargetCheck>;
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
  /** Called before the renames with the objects about to be replaced, to keep them (share-history.ts). */
  keepReplaced?: (objects: readonly { storedPath: string; fullPath: string }[]) => Promise<void>;
  /** Called with the objects renamed into place and the SHA-256 each was checked against. */
  placed?: (objects: readonly { path: string; ctSha256: string; size: number }[]) => void;
}

/** What a batch changed, for the share's stats. */
export interface BatchOutcome {
  stored: number;
  newFiles: number;
  bytesDelta: number;
}

/**
 * Stores a batch durably as a whole: every item goes to its own temporary
 * file, checked against its SHA-256 and flushed; only when the whole body
 * arrived and every file is on disk are they renamed into place, and their
 * folders flushed. Any error before that removes every temporary file of
 * the batch and renames nothing.
 *
 * `record` is called with what was renamed, also when a rename fails part
 * way (each renamed file is complete, so it stays and is counted).
 */
export async function writeBatch(target: BatchTarget, body: Readable, record: (outcome: BatchOutcome) => void): Promise<BatchOutcome> {
  const parser = new BatchParser();
  const dirs = new RealDirectories(target.root);
  const finishing = new FinishQueue(MAX_FINISHING);
  // one random prefix and a counter name every temporary file of the batch
  const prefix = randomBytes(9).toString('hex');
  const items: BatchItem[] = [];
  // each stored folder's full path once made or checked: a batch's files share a few folders, and most items then wait on nothing
  const folders = new Map<string, string>();
  let current: BatchItem | undefined;
  try {
    for await (const chunk of bodyChunks(body)) {
      for (const event of parser.push(chunk)) {
        if (event.kind === 'item') {
          const segments = safeStoredPathSegments(event.header.path);
          const name = segments.pop() as string;
          const folderKey = segments.join('/');
          let folder = folders.get(folderKey);
          if (folder === undefined) {
            folder = await dirs.ensure([...target.shareSegments, ...segments]);
            folders.set(folderKey, folder);
          }
          const targetPath = path.join(folder, name);
          if (!finishing.hasRoom()) await finishing.room();
          current = {
            storedPath: event.header.path,
            temp: new HeldTempFile(folder, event.header.size, target.writeSmallFile, `${prefix}-${items.length}`),
            folder,
            target: targetPath,
            ctSha256: event.header.ctSha256,
            // a folder this batch made held nothing: no need to look (a first sync makes most of them)
            check: dirs.madeHere(folder)
              ? NOTHING_THERE
              : existingFileSize(targetPath, target.root).then(
                  (size) => ({ size }),
                  (error: unknown) => ({ error }),
                ),
          };
          items.push(current);
        } else if (event.kind === 'data') {
          (current as BatchItem).temp.write(event.chunk);
        } else {
          const item = current as BatchItem;
          finishing.add(item.temp.finish(item.ctSha256));
          current = undefined;
        }
      }
    }
    parser.finish();
    await finishing.all();
    return await commit(items, dirs.created, record, target);
  } catch (error) {
    await finishing.settle();
    await runWorkerPool(items.filter((item) => !item.settled), (item) => item.temp.discard(), { concurrency: FS_CONCURRENCY });
    await dirs.removeCreatedIfEmpty();
    throw error;
  }
}

async function commit(
  items: BatchItem[],
  createdFolders: readonly string[],
  record: (outcome: BatchOutcome) => void,
  hooks: Pick<BatchTarget, 'beforeRename' | 'keepReplaced' | 'placed'>,
): Promise<BatchOutcome> {
  // every target checked before any rename, so a symlink or folder in the way fails the batch whole
  for (const item of items) {
    const check = await item.check;
    if ('error' in check) throw check.error;
    item.sizeBefore = check.size;
  }
  // a path sent twice: the last copy wins, the earlier ones are dropped
  const latest = new Map<string, BatchItem>();
  for (const item of items) latest.set(item.target, item);
  const finals = [...latest.values()];
  const dropped = items.filter((item) => latest.get(item.target) !== item);
  await runWorkerPool(dropped, async (item) => {
    await item.temp.discard();
    item.settled = true;
  }, { concurrency: FS_CONCURRENCY });

  hooks.beforeRename?.(finals.map((item) => ({ path: item.storedPath, bytes: item.temp.size, replaced: item.sizeBefore !== undefined })));
  const replacing = finals.filter((item) => item.sizeBefore !== undefined);
  if (replacing.length > 0) await hooks.keepReplaced?.(replacing.map((item) => ({ storedPath: item.storedPath, fullPath: item.target })));
  try {
    await runWorkerPool(finals, (item) => renameIntoPlace(item), { concurrency: FS_CONCURRENCY });
  } finally {
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
