import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { AnemoneError } from '../errors/catalogue.js';
import { openRegularFile } from '../util/open-regular-file.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { walkFiles } from './file-walk.js';
import type { MigrationRecord } from './migration-record.js';
import { PARTIALS_FOLDER } from './partial-uploads.js';
import { RECOVERY_KIT_STORED_NAME } from './recovery-kit-store.js';
import { MIN_PART_BYTES, type S3Objects } from './s3-objects.js';
import { PartBuffer } from './s3-upload.js';
import { TEMP_PREFIX } from './temp-file.js';

/** A file of the disk store that belongs in the bucket, at the same path below the prefix. */
export interface StoreFile {
  /** `/`-separated below the incoming folder: the key below the prefix. */
  relPath: string;
  fullPath: string;
  size: number;
  mtimeMs: number;
}

export interface MigrationProgress {
  filesTotal: number;
  bytesTotal: number;
  filesDone: number;
  bytesDone: number;
  /** Of filesDone, those a previous run had verified already. */
  filesSkipped: number;
}

export interface MigrationOptions {
  concurrency?: number | undefined;
  progress?: ((progress: MigrationProgress) => void) | undefined;
  /** TEST ONLY: called after each object is verified and recorded, so a test can interrupt the copy part-way. */
  afterVerified?: ((verifiedThisRun: number) => void) | undefined;
}

/**
 * Everything of a disk store the S3 store reads, in the layout it reads it
 * (format.md: the bucket's keys are the disk's paths below the prefix):
 * current objects, manifests, journals (`_manifest.d/`) and history
 * (`<source>/.history/`). Left out: uploads in progress (temporary files,
 * `.partial/`: their sources send them again) and recovery kits, which stay
 * on the peer's disk with either store. Symlinks are not followed.
 */
export async function* storeFiles(root: string): AsyncGenerator<StoreFile> {
  for await (const file of walkFiles(root, (relFolder, name) => !(relFolder === '' && name === PARTIALS_FOLDER))) {
    if (file.name.startsWith(TEMP_PREFIX)) continue;
    if (file.name === RECOVERY_KIT_STORED_NAME && file.relPath.split('/').length === 2) continue;
    const stats = await stat(file.fullPath);
    yield { relPath: file.relPath, fullPath: file.fullPath, size: stats.size, mtimeMs: stats.mtimeMs };
  }
}

/**
 * Copies the disk store at `root` into the bucket: each file streamed (one
 * part in memory at a time, multipart above one part), then read back from
 * the bucket and its SHA-256 compared with the disk's, then recorded, so a
 * run that stops part-way resumes after what was verified (and is still in
 * the bucket). Nothing on disk
 * is changed. Resolves with the final progress once every file is verified.
 */
export async function copyStoreToBucket(root: string, objects: S3Objects, record: MigrationRecord, options: MigrationOptions = {}): Promise<MigrationProgress> {
  const files: StoreFile[] = [];
  for await (const file of storeFiles(root)) files.push(file);
  files.sort((a, b) => a.relPath.localeCompare(b.relPath));
  const progress: MigrationProgress = { filesTotal: files.length, bytesTotal: files.reduce((sum, file) => sum + file.size, 0), filesDone: 0, bytesDone: 0, filesSkipped: 0 };
  const done = (file: StoreFile) => {
    progress.filesDone += 1;
    progress.bytesDone += file.size;
    options.progress?.({ ...progress });
  };
  // a recorded object is skipped only while the bucket still holds it at its size (a listing, 1000 keys a request)
  const inBucket = new Map<string, number>();
  for await (const object of objects.list(objects.location.prefix === '' ? '' : `${objects.location.prefix}/`)) inBucket.set(object.key, object.size);
  const toCopy: StoreFile[] = [];
  for (const file of files) {
    if (record.isCopied(file.relPath, file.size, file.mtimeMs) && inBucket.get(objects.key(file.relPath)) === file.size) {
      progress.filesSkipped += 1;
      done(file);
    } else toCopy.push(file);
  }
  let verifiedThisRun = 0;
  await runWorkerPool(toCopy, async (file) => {
    const sha256 = await copyOne(objects, file);
    record.add({ relPath: file.relPath, size: file.size, mtimeMs: file.mtimeMs, sha256 });
    verifiedThisRun += 1;
    done(file);
    options.afterVerified?.(verifiedThisRun);
  }, { concurrency: options.concurrency ?? 4 });
  return progress;
}

/** One file into the bucket, then read back whole: the bucket's bytes must hash as the disk's. */
async function copyOne(objects: S3Objects, file: StoreFile): Promise<string> {
  const key = objects.key(file.relPath);
  const parts = new PartBuffer(objects, key, MIN_PART_BYTES, undefined);
  const hash = createHash('sha256');
  let size = 0;
  // the listing skipped links, but a file can become one (or a FIFO) before its turn: opened without following, checked on the descriptor
  const opened = await openRegularFile(file.fullPath);
  if (opened.kind !== 'file') {
    throw new AnemoneError('INCOMING_MIGRATE_FILE_CHANGED', {
      message: `${file.relPath} in the incoming folder ${opened.kind === 'missing' ? 'is gone' : 'is no longer a regular file (a link or a special file took its place)'} since the copy listed it; nothing of it was copied`,
    });
  }
  try {
    for await (const chunk of opened.handle.createReadStream()) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      await parts.add(chunk as Buffer);
    }
    await parts.publish();
  } catch (error) {
    await parts.abort().catch(() => undefined);
    throw error;
  } finally {
    await opened.handle.close().catch(() => undefined);
  }
  const sent = hash.digest('hex');
  const stored = await objects.hash(key);
  if (stored === undefined || stored.sha256 !== sent || stored.size !== size) {
    throw new AnemoneError('INCOMING_MIGRATE_VERIFY_FAILED', {
      message: `The copy of ${file.relPath} in the bucket does not match the disk: ${stored ? `SHA-256 ${stored.sha256} (${stored.size} bytes) instead of ${sent} (${size} bytes)` : 'it is not there after the upload'}`,
    });
  }
  return sent;
}
