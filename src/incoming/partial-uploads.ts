import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AnemoneError } from '../errors/catalogue.js';
import { asStorageError, isCode } from './fs-errors.js';
import { fsyncFolder } from './fsync.js';
import { GatheredWrites } from './gathered-writes.js';
import { RunningAppends, partialHashMismatch, receiveContinuation } from './resumed-body.js';
import { type WriteStreamFactory, diskWriteStream } from './temp-file.js';


/** Where partial uploads wait: a dot name, so it never collides with a source's folder. */
export const PARTIALS_FOLDER = '.partial';
export const DEFAULT_PARTIAL_EXPIRY_MS = 24 * 60 * 60 * 1000;
/** Partials one source may keep at once; a new one beyond pushes out the one touched longest ago. */
export const DEFAULT_MAX_PARTIALS_PER_SOURCE = 8;

/** What a partial belongs to, kept beside its bytes (`<key>.json`); the bytes are `<key>.part`. */
interface PartialMeta {
  uploadId: string;
  user: string;
  share: string;
  path: string;
  size: number;
}

export interface PartialTarget {
  source: string;
  user: string;
  share: string;
  storedPath: string;
}

export interface PartialUploadsOptions {
  root: string;
  /** The store's disk seam: partials are written through it as every upload is (a full disk is 507 the same way). */
  createWriteStream?: WriteStreamFactory | undefined;
  expiryMs?: number | undefined;
  maxPerSource?: number | undefined;
  now?: (() => number) | undefined;
}

/**
 * Resumable uploads of large objects, on the receiving side. A partial is
 * the ciphertext received so far of one stored path, under one upload id the
 * source chose; what `offset` reports has been fsynced, so it survives a
 * crash of this server. The whole object's SHA-256 is checked at completion
 * by hashing the partial on disk again before the new bytes (no hash state
 * is kept between requests); the object is then renamed into place by
 * `commit`, exactly as a single upload is.
 */
export class PartialUploads {
  readonly root: string;
  readonly expiryMs: number;
  private readonly maxPerSource: number;
  private readonly now: () => number;
  private readonly createWriteStream: WriteStreamFactory;
  /** Appends running, by partial: a new offset query ends the old one (the source lost that connection). */
  private readonly active = new RunningAppends();

  constructor(options: PartialUploadsOptions) {
    this.root = path.join(options.root, PARTIALS_FOLDER);
    this.expiryMs = options.expiryMs ?? DEFAULT_PARTIAL_EXPIRY_MS;
    this.maxPerSource = options.maxPerSource ?? DEFAULT_MAX_PARTIALS_PER_SOURCE;
    this.now = options.now ?? Date.now;
    this.createWriteStream = options.createWriteStream ?? diskWriteStream;
  }

  /**
   * Creates the partial, or finds the one of the same upload id and size, and
   * answers how many of its bytes are durable here. Another upload id for the
   * path (the source file changed) discards the old partial first.
   */
  async offset(target: PartialTarget, uploadId: string, size: number): Promise<number> {
    const files = this.filesOf(target);
    await this.active.stop(files.key);
    const meta = await readMeta(files.meta);
    if (meta && meta.uploadId === uploadId && meta.size === size) {
      // no part yet: nothing of it arrived
      const durable = (await syncedSize(files.part)) ?? 0;
      if (durable <= size) {
        await this.touch(files);
        return durable;
      }
    }
    await this.discardFiles(files);
    await mkdir(files.folder, { recursive: true, mode: 0o700 });
    await this.makeRoom(files.folder);
    const fresh: PartialMeta = { uploadId, user: target.user, share: target.share, path: target.storedPath, size };
    try {
      await writeDurably(files.meta, Buffer.from(JSON.stringify(fresh)));
      await fsyncFolder(files.folder);
      await this.touch(files);
    } catch (error) {
      await this.discardFiles(files);
      throw asStorageError(error);
    }
    return 0;
  }

  /**
   * Appends `body` (ciphertext from `offset`, then the whole object's SHA-256
   * as a 32-byte trailer) to the partial. Resolves with the completed file's
   * path when the object is whole and its hash matches, for the caller to
   * commit; a body that ends early leaves the partial at what arrived, fsynced.
   */
  async append(target: PartialTarget, uploadId: string, offset: number, body: Readable): Promise<{ partPath: string; size: number; ctSha256: string } | { incomplete: number }> {
    // a connection that drops while the partial is being rehashed must not be an unhandled 'error': the read below sees it
    body.on('error', () => undefined);
    const files = this.filesOf(target);
    const meta = await readMeta(files.meta);
    if (!meta || meta.uploadId !== uploadId) {
      throw new AnemoneError('NOT_FOUND', { message: 'No upload in progress here with that id: it expired or was replaced; ask for the offset again' });
    }
    await this.active.stop(files.key);
    const held = (await syncedSize(files.part)) ?? 0;
    if (held !== offset) {
      throw new AnemoneError('UPLOAD_OFFSET_MISMATCH', { message: `This server holds ${held} bytes of the upload, not ${offset}`, details: { offset: held } });
    }
    return this.active.run(files.key, (onStop) => this.receive(files, meta, offset, body, onStop));
  }

  /** After a commit renamed the part into place: removes what is left of the partial. */
  async forget(target: PartialTarget): Promise<void> {
    await this.discardFiles(this.filesOf(target));
  }

  /** Removes partials untouched for longer than the expiry; at start and periodically. Returns how many. */
  async removeExpired(): Promise<number> {
    let removed = 0;
    const sources = await readdir(this.root).catch(() => [] as string[]);
    for (const source of sources) {
      const folder = path.join(this.root, source);
      for (const partial of await partialsIn(folder)) {
        if (this.now() - partial.touchedMs <= this.expiryMs || this.active.has(`${source}/${partial.key}`)) continue;
        await this.discardFiles({ folder, key: `${source}/${partial.key}`, part: path.join(folder, `${partial.key}.part`), meta: path.join(folder, `${partial.key}.json`) });
        removed += 1;
      }
    }
    return removed;
  }

  /** Bytes the partials of `source` hold (the Incoming Backups page and the tests). */
  async bytesHeld(source: string): Promise<number> {
    const partials = await partialsIn(path.join(this.root, source));
    return partials.reduce((sum, partial) => sum + partial.bytes, 0);
  }

  private async receive(
    files: PartialFiles,
    meta: PartialMeta,
    offset: number,
    body: Readable,
    onStop: (stop: () => void) => void,
  ): Promise<{ partPath: string; size: number; ctSha256: string } | { incomplete: number }> {
    const hash = createHash('sha256');
    if (offset > 0) await hashExisting(files.part, hash);
    // at 0 the part is empty (a request that died before its first byte): written anew
    else await rm(files.part, { force: true });
    const file = new AppendingFile(this.createWriteStream(files.part, offset > 0 ? { append: true } : undefined));
    onStop(() => body.destroy(new Error('replaced by a newer request for the same upload')));
    let received: { written: number; trailer: string | undefined };
    try {
      // a dropped connection is no error: what arrived stays, fsynced below, for the next request to continue
      received = await receiveContinuation(body, { offset, size: meta.size, hash, write: (content) => file.write(content), failed: () => file.failed });
      // the stream fsyncs before it reports closed (`flush`)
      await file.close();
    } catch (error) {
      await file.abandon();
      throw asStorageError(file.failure ?? error);
    }
    await this.touch(files);
    const { written, trailer } = received;
    if (written < meta.size || trailer === undefined) return { incomplete: written };
    const actual = hash.digest('hex');
    if (actual !== trailer) {
      await this.discardFiles(files);
      throw partialHashMismatch(actual, trailer);
    }
    return { partPath: files.part, size: written, ctSha256: actual };
  }

  private filesOf(target: PartialTarget): PartialFiles {
    const key = createHash('sha256').update(JSON.stringify([target.user, target.share, target.storedPath])).digest('hex').slice(0, 40);
    const folder = path.join(this.root, target.source);
    return { folder, key: `${target.source}/${key}`, part: path.join(folder, `${key}.part`), meta: path.join(folder, `${key}.json`) };
  }

  /** Keeps a source under its bound: the partial touched longest ago goes first. */
  private async makeRoom(folder: string): Promise<void> {
    const partials = (await partialsIn(folder)).sort((a, b) => a.touchedMs - b.touchedMs);
    const source = path.basename(folder);
    while (partials.length >= this.maxPerSource) {
      const oldest = partials.shift() as PartialInfo;
      await this.discardFiles({ folder, key: `${source}/${oldest.key}`, part: path.join(folder, `${oldest.key}.part`), meta: path.join(folder, `${oldest.key}.json`) });
    }
  }

  /** Marks the partial as worked on now (its expiry counts from here). */
  private async touch(files: { part: string; meta: string }): Promise<void> {
    const when = new Date(this.now());
    for (const filePath of [files.part, files.meta]) await utimes(filePath, when, when).catch(() => undefined);
  }

  private async discardFiles(files: PartialFiles): Promise<void> {
    await rm(files.meta, { force: true });
    await rm(files.part, { force: true });
  }
}

interface PartialFiles {
  folder: string;
  key: string;
  part: string;
  meta: string;
}

interface PartialInfo {
  key: string;
  bytes: number;
  touchedMs: number;
}

async function partialsIn(folder: string): Promise<PartialInfo[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const found: PartialInfo[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const key = name.slice(0, -'.json'.length);
    const part = await stat(path.join(folder, `${key}.part`)).catch(() => undefined);
    const meta = await stat(path.join(folder, name)).catch(() => undefined);
    // both mtimes are set at each request (`touch`): when its source last worked on it
    found.push({ key, bytes: part?.size ?? 0, touchedMs: Math.max(part?.mtimeMs ?? 0, meta?.mtimeMs ?? 0) });
  }
  return found;
}

async function readMeta(filePath: string): Promise<PartialMeta | undefined> {
  try {
    const parsed = JSON.parse(await readFile(filePath, 'utf8')) as Partial<PartialMeta>;
    if (typeof parsed.uploadId !== 'string' || typeof parsed.size !== 'number') return undefined;
    return parsed as PartialMeta;
  } catch {
    return undefined;
  }
}

/** The size of a partial after an fsync: the bytes this server can promise to keep. */
async function syncedSize(filePath: string): Promise<number | undefined> {
  let handle;
  try {
    handle = await open(filePath, constants.O_RDWR | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if (isCode(error, 'ENOENT', 'ELOOP')) return undefined;
    throw error;
  }
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

async function hashExisting(filePath: string, hash: ReturnType<typeof createHash>): Promise<void> {
  const handle = await open(filePath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
}

/** A partial's write stream, written in gathered batches, with backpressure and its first failure kept for the caller. */
class AppendingFile {
  failure: unknown;
  private readonly gathered: GatheredWrites;

  constructor(private readonly stream: Writable) {
    this.gathered = new GatheredWrites(stream);
    stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** A promise only when the stream asks to wait for its 'drain' (most pieces are taken at once). */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.failed) throw this.failure;
    return this.gathered.add(chunk) ? once(this.stream, 'drain').then(() => undefined) : undefined;
  }

  /** Writes what has gathered, then closes (the stream fsyncs before it reports closed). */
  async close(): Promise<void> {
    if (this.failed) throw this.failure;
    this.gathered.flush();
    await this.gathered.settled();
    if (this.failed) throw this.failure;
    this.stream.end();
    await finished(this.stream);
  }

  async abandon(): Promise<void> {
    await this.gathered.settled();
    this.stream.destroy();
    await finished(this.stream).catch(() => undefined);
  }
}

/** Writes `bytes` at `filePath` through `<filePath>.new`, flushed, then renamed over it. */
export async function writeDurably(filePath: string, bytes: Buffer): Promise<void> {
  const temp = `${filePath}.new`;
  // what a crash left at the name goes first; `wx` then never opens an existing file nor follows a link planted there
  await rm(temp, { force: true });
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, filePath);
}
