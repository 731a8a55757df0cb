import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { AnnouncedSha256, ShareRef, StoredFileStream } from './incoming-store.js';
import { IncomingStoreBase, type IncomingStoreBaseOptions, type StoredWrite } from './incoming-store-base.js';
import type { UncommittedObject } from '../db/incoming-repo.js';
import { AnemoneError } from '../errors/catalogue.js';
import { JOURNAL_FOLDER, generationOfDeltaName } from '../manifest/manifest-delta.js';
import { MANIFEST_STORED_NAME } from '../manifest/stored-names.js';
import { WholeReadHoldback } from '../protocol/v1/index.js';
import { type BatchOutcome, type DirectWrites, writeBatch } from './batch-writer.js';
import { smallFileWriterFor } from './held-temp-file.js';
import { bodyChunks } from './body-chunks.js';
import { walkFiles } from './file-walk.js';
import { hashRegularFile } from '../util/hash-file.js';
import { openRegularFile } from '../util/open-regular-file.js';
import { asStorageError, isCode } from './fs-errors.js';
import { fsyncFolder } from './fsync.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { RealDirectories, existingFileSize } from './real-dirs.js';
import { safeStoredPathSegments } from './safe-path.js';
import { type PartialUploadsOptions, PartialUploads } from './partial-uploads.js';
import { HISTORY_FOLDER } from '../manifest/history-names.js';
import { notStored, shareSegments } from './share-rules.js';
import { TEMP_PREFIX, TempFile, type WriteStreamFactory, diskWriteStream } from './temp-file.js';

export interface FsIncomingStoreOptions extends IncomingStoreBaseOptions {
  root: string;
  createWriteStream?: WriteStreamFactory | undefined;
  /** Resumable uploads: how long a partial is kept, how many per source (partial-uploads.ts). */
  partials?: Omit<PartialUploadsOptions, 'root'> | undefined;
}

/**
 * What sources store here, on disk: encrypted files and manifests, written
 * atomically (temporary file, hash check, fsync, rename, fsync folder), and
 * their stats in `incoming_shares`, kept up to date as files come and go.
 * A source reaches only `<incomingDir>/<source>/`: every path is checked
 * (safe-path.ts) and walked without following symlinks (real-dirs.ts).
 */
export class FsIncomingStore extends IncomingStoreBase {
  readonly root: string;
  private readonly createWriteStream: WriteStreamFactory;
  readonly partials: PartialUploads;

  constructor(options: FsIncomingStoreOptions) {
    super(options);
    this.root = options.root;
    this.createWriteStream = options.createWriteStream ?? diskWriteStream;
    this.partials = new PartialUploads({ root: options.root, createWriteStream: this.createWriteStream, ...options.partials });
  }

  /** A resumable upload of a large object: creates or finds its partial, answers the bytes held durably. */
  async uploadOffset(ref: ShareRef, storedPath: string, uploadId: string, size: number): Promise<{ offset: number }> {
    this.checkUpload(ref, storedPath, size);
    const target = { ...ref, storedPath };
    try {
      return { offset: await this.partials.offset(target, uploadId, size) };
    } catch (error) {
      throw asStorageError(error);
    }
  }

  /**
   * Continues a resumable upload from `offset`. When the object is whole and
   * its SHA-256 matches, it is committed exactly as putFile commits (recorded
   * as uncommitted, renamed into place, folders fsynced).
   */
  async appendUpload(ref: ShareRef, storedPath: string, uploadId: string, offset: number, body: Readable): Promise<{ complete: boolean; offset: number }> {
    const segments = this.checkedPath(ref, storedPath);
    const target = { ...ref, storedPath };
    return this.writes.during(ref, async () => {
      const received = await this.partials.append(target, uploadId, offset, body);
      if ('incomplete' in received) return { complete: false, offset: received.incomplete };
      await this.placeFile(ref, segments.slice(0, -1), segments.at(-1) as string, received, storedPath);
      await this.partials.forget(target);
      return { complete: true, offset: received.size };
    });
  }

  /** Moves a complete, verified, fsynced file into place as `name` and records it. */
  private async placeFile(
    ref: ShareRef,
    folderSegments: readonly string[],
    name: string,
    received: { partPath: string; size: number; ctSha256: string },
    storedPath: string,
  ): Promise<void> {
    const { partPath: source, size } = received;
    const dirs = new RealDirectories(this.root);
    try {
      const folder = await dirs.ensure([...shareSegments(ref), ...folderSegments]);
      const target = path.join(folder, name);
      const sizeBefore = await existingFileSize(target, this.root);
      await this.place(ref, { storedPath }, { location: target, size, ctSha256: received.ctSha256, sizeBefore, publish: () => rename(source, target) });
      const folders = new Set([folder, path.dirname(source), ...dirs.created.map((created) => path.dirname(created))]);
      await runWorkerPool([...folders], fsyncFolder, { concurrency: 8 });
    } catch (error) {
      await dirs.removeCreatedIfEmpty();
      throw asStorageError(error);
    }
  }

  openManifestDelta(ref: ShareRef, generation: number): Promise<StoredFileStream> {
    return this.openStored(ref, [JOURNAL_FOLDER], `${generation}.json.enc`);
  }

  /** The generations of the deltas stored beside the manifest, in order. */
  async journalGenerations(ref: ShareRef): Promise<number[]> {
    const folder = await new RealDirectories(this.root).find([...shareSegments(ref), JOURNAL_FOLDER]);
    if (folder === undefined) return [];
    const names = await readdir(folder).catch(() => []);
    return names.map(generationOfDeltaName).filter((generation): generation is number => generation !== undefined).sort((a, b) => a - b);
  }

  protected async hasManifest(ref: ShareRef): Promise<boolean> {
    const manifest = path.join(this.root, ...shareSegments(ref), MANIFEST_STORED_NAME);
    return (await existingFileSize(manifest, this.root).catch(() => undefined)) !== undefined;
  }

  protected async dropJournal(ref: ShareRef): Promise<void> {
    const folder = await new RealDirectories(this.root).find([...shareSegments(ref), JOURNAL_FOLDER]);
    if (folder === undefined) return;
    let bytes = 0;
    for (const name of await readdir(folder)) {
      const generation = generationOfDeltaName(name);
      if (generation === undefined) continue;
      bytes += (await existingFileSize(path.join(folder, name), this.root)) ?? 0;
      // the deltas a fold replaces stay in history: they make the snapshots between the two full manifests
      await this.history.keepManifest(ref, 'delta', path.join(folder, name), generation);
      await unlink(path.join(folder, name)).catch(() => undefined);
    }
    if (bytes > 0) this.adjust(ref, 0, -bytes);
    await rmdir(folder).catch(() => undefined);
  }

  async putBatch(ref: ShareRef, body: Readable): Promise<{ stored: number }> {
    this.checkQuota(ref.source);
    const record = (outcome: BatchOutcome) => {
      if (outcome.stored > 0) this.adjust(ref, outcome.newFiles, outcome.bytesDelta);
    };
    const target = {
      root: this.root,
      shareSegments: shareSegments(ref),
      writeSmallFile: smallFileWriterFor(this.createWriteStream),
      beforeRename: (objects: readonly UncommittedObject[]) => this.repo.recordUncommitted(ref, objects),
      direct: this.directWrites(ref),
      keepReplaced: (objects: readonly { storedPath: string; fullPath: string }[]) => this.history.keepObjects(ref, objects),
      placed: (objects: readonly { path: string; ctSha256: string; size: number }[]) => this.history.recordObjects(ref, objects),
    };
    try {
      const { stored } = await this.writes.during(ref, () => writeBatch(target, body, record));
      return { stored };
    } catch (error) {
      throw asStorageError(error);
    }
  }

  /** The record of one batch's new files, written straight at their final names (batch-writer.ts). */
  private directWrites(ref: ShareRef): DirectWrites {
    const batch = randomBytes(9).toString('hex');
    return {
      record: (objects) => this.repo.recordUncommitted(ref, objects, batch),
      settle: () => this.repo.settleBatch(batch),
      abandon: () => this.repo.abandonBatch(batch),
    };
  }

  protected openCurrent(ref: ShareRef, storedPath: string): Promise<StoredFileStream> {
    const segments = safeStoredPathSegments(storedPath);
    return this.openStored(ref, segments.slice(0, -1), segments.at(-1) as string);
  }

  protected async hashCurrent(ref: ShareRef, storedPath: string): Promise<string | undefined> {
    const segments = safeStoredPathSegments(storedPath);
    const folder = await new RealDirectories(this.root).find([...shareSegments(ref), ...segments.slice(0, -1)]);
    return folder === undefined ? undefined : (await hashRegularFile(path.join(folder, segments.at(-1) as string)))?.sha256;
  }

  /** One stored file of a snapshot chain, or a version history keeps (a path history gave). */
  openChainFile(file: string): Promise<StoredFileStream> {
    return openStoredFile(file);
  }

  openManifest(ref: ShareRef): Promise<StoredFileStream> {
    return this.openStored(ref, [], MANIFEST_STORED_NAME);
  }

  /** Size and SHA-256 of stored files, for verification; every path is checked first, paths not stored are left out. */
  async hashFiles(ref: ShareRef, storedPaths: readonly string[]): Promise<{ path: string; size: number; sha256: string }[]> {
    const wanted = [...new Set(storedPaths)].map((storedPath) => ({ storedPath, segments: safeStoredPathSegments(storedPath) }));
    const dirs = new RealDirectories(this.root);
    const hashed: { path: string; size: number; sha256: string }[] = [];
    // a few at a time: hashing reads every byte, and other sources' syncs share this disk
    await runWorkerPool(wanted, async ({ storedPath, segments }) => {
      const folder = await dirs.find([...shareSegments(ref), ...segments.slice(0, -1)]);
      const found = folder === undefined ? undefined : await hashRegularFile(path.join(folder, segments.at(-1) as string));
      if (found) hashed.push({ path: storedPath, ...found });
    }, { concurrency: 4 });
    return hashed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Every stored file of a share with its size, sorted; the manifest and temporary files left out. */
  async listFiles(ref: ShareRef): Promise<{ path: string; size: number }[]> {
    const folder = await new RealDirectories(this.root).find(shareSegments(ref));
    if (folder === undefined) return [];
    const found: { path: string; size: number; fullPath: string }[] = [];
    for await (const file of walkFiles(folder)) {
      if (file.name.startsWith('.') || !file.name.endsWith('.enc') || file.relPath === MANIFEST_STORED_NAME) continue;
      if (file.relPath.startsWith(`${JOURNAL_FOLDER}/`)) continue;
      found.push({ path: file.relPath, size: 0, fullPath: file.fullPath });
    }
    await runWorkerPool(found, async (file) => {
      file.size = (await existingFileSize(file.fullPath, this.root)) ?? 0;
    }, { concurrency: 32 });
    return found.map(({ path: filePath, size }) => ({ path: filePath, size })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  protected async removeStored(ref: ShareRef, storedPaths: readonly string[], history: 'keep' | 'discard'): Promise<{ deleted: number; bytes: number }> {
    const wanted = [...new Set(storedPaths)].map((storedPath) => ({ storedPath, segments: safeStoredPathSegments(storedPath) }));
    const dirs = new RealDirectories(this.root);
    const found: { storedPath: string; fullPath: string; folder: string; size: number }[] = [];
    await runWorkerPool(wanted, async ({ storedPath, segments }) => {
      const folder = await dirs.find([...shareSegments(ref), ...segments.slice(0, -1)]);
      if (folder === undefined) return;
      const fullPath = path.join(folder, segments.at(-1) as string);
      const size = await existingFileSize(fullPath, this.root);
      if (size !== undefined) found.push({ storedPath, fullPath, folder, size });
    }, { concurrency: 32 });
    if (history === 'keep') await this.history.keepObjects(ref, found);
    this.history.forgetObjects(ref, found.map((file) => file.storedPath));
    let deleted = 0;
    let bytes = 0;
    try {
      await runWorkerPool(found, async (file) => {
        try {
          await unlink(file.fullPath);
        } catch (error) {
          if (isCode(error, 'ENOENT')) return;
          throw error;
        }
        deleted += 1;
        bytes += file.size;
      }, { concurrency: 32 });
    } finally {
      if (deleted > 0) this.adjust(ref, -deleted, -bytes);
    }
    const shareFolder = path.join(this.root, ...shareSegments(ref));
    await pruneEmptyFolders(new Set(found.map((file) => file.folder)), shareFolder);
    return { deleted, bytes };
  }

  /** Removes from disk everything of a source, one of its users, or one share (the base records the reset and the stats). */
  protected async deleteBackups(segments: readonly string[], filter: { source: string; user?: string | undefined; share?: string | undefined }): Promise<void> {
    const folder = path.join(this.root, ...segments);
    // rm removes a symlink itself, never what it points to; a write still landing in the folder
    // (a source syncing now) makes a removal meet ENOTEMPTY, so it is tried again
    await rm(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    // the administrator's deletion takes the history too (a source's lives inside its folder)
    if (segments.length > 1) await rm(path.join(this.root, segments[0] as string, HISTORY_FOLDER, ...segments.slice(1)), { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    this.history.deleteAll(filter);
    // a source's partial uploads go with it (a user's or a share's expire on their own)
    if (segments.length === 1) await rm(path.join(this.partials.root, segments[0] as string), { recursive: true, force: true });
    if (segments.length === 3) await rmdir(path.dirname(folder)).catch(() => undefined);
  }

  removeAbandonedUploads(): Promise<number> {
    return this.partials.removeExpired();
  }

  /**
   * Removes what a crash left behind: temporary files, and the files of
   * batches it interrupted, written at their final names but maybe
   * incomplete and never counted (their records still carry the batch's
   * mark). Call at start, before serving. Returns how many.
   */
  async removeOrphanTemps(): Promise<number> {
    let removed = 0;
    for await (const file of walkFiles(this.root)) {
      if (!file.name.startsWith(TEMP_PREFIX)) continue;
      await unlink(file.fullPath).catch(() => undefined);
      removed += 1;
    }
    const dirs = new RealDirectories(this.root);
    for (const object of this.repo.unfinishedBatchObjects()) {
      const segments = safeStoredPathSegments(object.path);
      const folder = await dirs.find([...shareSegments(object), ...segments.slice(0, -1)]);
      if (folder === undefined) continue;
      const fullPath = path.join(folder, segments.at(-1) as string);
      // a regular file only: a symlink or folder at the name is no file of ours
      if ((await existingFileSize(fullPath, this.root).catch(() => undefined)) === undefined) continue;
      await unlink(fullPath).catch(() => undefined);
      removed += 1;
    }
    this.repo.forgetUnfinishedBatches();
    return removed;
  }

  protected async writeOne(ref: ShareRef, what: StoredWrite, body: Readable, ctSha256: AnnouncedSha256, maxBytes: number, beforeRename?: () => void): Promise<{ size: number }> {
    const { folderSegments, name } = locationOf(what);
    const dirs = new RealDirectories(this.root);
    let temp: TempFile | undefined;
    try {
      const folder = await dirs.ensure([...shareSegments(ref), ...folderSegments]);
      const target = path.join(folder, name);
      // refused before reading the body when a symlink or folder sits at the name
      await existingFileSize(target, this.root);
      temp = new TempFile(folder, maxBytes, this.createWriteStream);
      const announced = await writeBody(temp, body, ctSha256);
      await temp.finish(announced);
      const sizeBefore = await existingFileSize(target, this.root);
      const written = temp;
      const size = written.size;
      const publish = async () => {
        await rename(written.path, target);
        // renamed: nothing left to discard should a later step fail
        temp = undefined;
      };
      await this.place(ref, what, { location: target, size, ctSha256: announced, sizeBefore, publish }, beforeRename);
      const folders = new Set([folder, ...dirs.created.map((created) => path.dirname(created))]);
      await runWorkerPool([...folders], fsyncFolder, { concurrency: 8 });
      return { size };
    } catch (error) {
      await temp?.discard();
      await dirs.removeCreatedIfEmpty();
      throw asStorageError(error);
    }
  }

  private async openStored(ref: ShareRef, folderSegments: readonly string[], name: string): Promise<StoredFileStream> {
    const folder = await new RealDirectories(this.root).find([...shareSegments(ref), ...folderSegments]);
    if (folder === undefined) throw notStored();
    return openStoredFile(path.join(folder, name));
  }
}

/** Where a write goes below the share's folder. */
function locationOf(what: StoredWrite): { folderSegments: string[]; name: string } {
  if ('storedPath' in what) {
    const segments = safeStoredPathSegments(what.storedPath);
    return { folderSegments: segments.slice(0, -1), name: segments.at(-1) as string };
  }
  return what.manifest === 'full' ? { folderSegments: [], name: MANIFEST_STORED_NAME } : { folderSegments: [JOURNAL_FOLDER], name: `${what.generation}.json.enc` };
}

/** Opens a stored file for reading: a regular file only, never through a symlink or a FIFO. */
async function openStoredFile(fullPath: string): Promise<StoredFileStream> {
  const opened = await openRegularFile(fullPath);
  if (opened.kind === 'missing') throw notStored();
  if (opened.kind === 'not-regular') throw new AnemoneError('PATH_INVALID', { message: 'The file path is not allowed: it is not a regular file on this server' });
  return { stream: opened.handle.createReadStream(), size: opened.size };
}

/** Streams `body` into `temp`, holding a trailer back when there is one; returns the hash the source announced. */
async function writeBody(temp: TempFile, body: Readable, ctSha256: AnnouncedSha256): Promise<string> {
  if (ctSha256 !== 'trailer') {
    for await (const chunk of bodyChunks(body)) await temp.write(chunk);
    return ctSha256.hex;
  }
  // each read written whole, one read late (half the writes of cutting it around the 32 bytes held)
  const holdback = new WholeReadHoldback();
  for await (const chunk of bodyChunks(body)) {
    for (const content of holdback.push(chunk)) await temp.write(content);
  }
  for (const content of holdback.end()) await temp.write(content);
  const announced = holdback.trailerHex();
  if (announced === undefined) throw new AnemoneError('HASH_MISMATCH', { message: 'The upload ended before its SHA-256 trailer' });
  return announced;
}

/** Removes each folder and its parents while they are empty, stopping at `stopAt` (kept). */
async function pruneEmptyFolders(folders: Set<string>, stopAt: string): Promise<void> {
  // deepest first, so a parent is tried after its children
  const ordered = [...folders].sort((a, b) => b.length - a.length);
  for (let folder of ordered) {
    while (folder.startsWith(stopAt + path.sep)) {
      try {
        await rmdir(folder);
      } catch {
        break;
      }
      folder = path.dirname(folder);
    }
  }
}
