import type { Readable, Writable } from 'node:stream';
import { v2 as webdav } from 'webdav-server';
import { DavLocks, UNKEPT_PROPERTIES } from './dav-locks.js';
import { type RefusalKind, ShareDisk, ShareDiskRefusal } from './share-disk.js';
import { davSegmentsProblem, type ShareSegments } from '../shares/share-paths.js';

type Path = webdav.Path;
type Callback<T> = webdav.ReturnCallback<T>;

const DAV_ERRORS: Record<RefusalKind, Error> = {
  'not-found': webdav.Errors.ResourceNotFound,
  exists: webdav.Errors.ResourceAlreadyExists,
  forbidden: webdav.Errors.Forbidden,
  conflict: webdav.Errors.IntermediateResourceMissing,
  'disk-full': webdav.Errors.InsufficientStorage,
};

/**
 * One user's shares as a webdav-server file system. Not the library's
 * PhysicalFileSystem: it stats and opens paths following every symbolic link
 * (a link in a share would lead anywhere on the server), opens a FIFO for
 * reading and blocks on it, truncates a file in place before the upload
 * arrives (the sync could pick up half a file), and keeps an object for
 * every path it ever saw. Every disk operation here goes through ShareDisk,
 * which refuses all of that.
 */
export class DavShareFileSystem extends webdav.FileSystem {
  private readonly disk: ShareDisk;
  private readonly locks = new DavLocks();

  /** `onUnexpected`: an error that is no refusal (EACCES, EIO…); the client gets 500, the log gets the error. */
  constructor(
    userFolder: string,
    private readonly onUnexpected: (error: Error) => void,
  ) {
    super(NOT_SERIALIZED);
    this.doNotSerialize();
    this.disk = new ShareDisk(userFolder);
  }

  protected override _type(path: Path, _ctx: webdav.TypeInfo, callback: Callback<webdav.ResourceType>): void {
    if (path.isRoot()) return callback(undefined, webdav.ResourceType.Directory);
    this.run(path, callback, async (segments) => ((await this.disk.stat(segments)).kind === 'folder' ? webdav.ResourceType.Directory : webdav.ResourceType.File));
  }

  protected override _readDir(path: Path, _ctx: webdav.ReadDirInfo, callback: Callback<string[]>): void {
    if (path.isRoot()) return callback(undefined, this.disk.listRoot());
    this.run(path, callback, (segments) => this.disk.list(segments));
  }

  protected override _size(path: Path, _ctx: webdav.SizeInfo, callback: Callback<number>): void {
    this.run(path, callback, async (segments) => (await this.disk.stat(segments)).size);
  }

  protected override _lastModifiedDate(path: Path, _ctx: webdav.LastModifiedDateInfo, callback: Callback<number>): void {
    if (path.isRoot()) return callback(undefined, 0);
    this.run(path, callback, async (segments) => Math.floor((await this.disk.stat(segments)).modifiedMs));
  }

  protected override _creationDate(path: Path, _ctx: webdav.CreationDateInfo, callback: Callback<number>): void {
    if (path.isRoot()) return callback(undefined, 0);
    this.run(path, callback, async (segments) => Math.floor((await this.disk.stat(segments)).createdMs));
  }

  protected override _openReadStream(path: Path, _ctx: webdav.OpenReadStreamInfo, callback: Callback<Readable>): void {
    this.run(path, callback, (segments) => this.disk.openRead(segments));
  }

  protected override _openWriteStream(path: Path, ctx: webdav.OpenWriteStreamInfo, callback: Callback<Writable>): void {
    this.run(path, callback, async (segments) => {
      const stream = await this.disk.openWrite(segments, (error) => this.davError(error));
      // a client that goes away mid-upload leaves no temporary file behind
      const request = (ctx.context as Partial<webdav.HTTPRequestContext>).request;
      if (request) {
        const abandon = () => {
          if (!request.complete) stream.destroy();
        };
        // gone already while the file was being opened: its 'close' has passed
        if (request.destroyed) abandon();
        else request.once('close', abandon);
      }
      return stream;
    }, true);
  }

  protected override _create(path: Path, ctx: webdav.CreateInfo, callback: webdav.SimpleCallback): void {
    const method = (ctx.context as Partial<webdav.HTTPRequestContext>).request?.method;
    this.run(path, callback, async (segments) => {
      if (ctx.type.isDirectory) return this.disk.makeFolder(segments);
      // a lock on a new name makes an empty file (RFC 4918 §7.3); an upload or a copy writes its file whole, by rename
      if (method === 'LOCK') return this.disk.createEmptyFile(segments);
    }, true);
  }

  protected override _delete(path: Path, _ctx: webdav.DeleteInfo, callback: webdav.SimpleCallback): void {
    this.run(path, callback, async (segments) => {
      await this.disk.remove(segments);
      this.locks.forget(path.toString());
    }, true);
  }

  protected override _move(from: Path, to: Path, ctx: webdav.MoveInfo, callback: Callback<boolean>): void {
    const problem = davSegmentsProblem(to.paths);
    if (problem !== undefined || to.paths.length === 0) return callback(webdav.Errors.Forbidden);
    this.run(from, callback, async (segments) => {
      const replaced = await this.disk.move(segments, to.paths, ctx.overwrite);
      this.locks.forget(from.toString());
      return replaced;
    }, true);
  }

  protected override _lockManager(path: Path, _ctx: webdav.LockManagerInfo, callback: Callback<webdav.ILockManager>): void {
    callback(undefined, this.locks.managerFor(path.toString()));
  }

  protected override _propertyManager(_path: Path, _ctx: webdav.PropertyManagerInfo, callback: Callback<webdav.IPropertyManager>): void {
    callback(undefined, UNKEPT_PROPERTIES);
  }

  /** The library's error for a refusal (it answers each with its status: 404, 409, 403, 507…); any other error is logged and answered 500. */
  private davError(error: Error): Error {
    if (error instanceof ShareDiskRefusal) return DAV_ERRORS[error.kind];
    this.onUnexpected(error);
    return error;
  }

  /**
   * Checks the path's names, runs `operation`, and answers the library with its result or the matching
   * WebDAV error. A name that cannot be in the shares is not found when read, forbidden when written.
   */
  private run<T>(path: Path, callback: Callback<T>, operation: (segments: ShareSegments) => Promise<T>, writes = false): void {
    const segments = path.paths;
    if (davSegmentsProblem(segments) !== undefined) return callback(writes ? webdav.Errors.Forbidden : webdav.Errors.ResourceNotFound);
    operation(segments).then(
      (result) => callback(undefined, result),
      (error: unknown) => callback(this.davError(error as Error)),
    );
  }
}

/** This file system is built from the user's folder on each start; the library's serialization (its autosave) is not used. */
const NOT_SERIALIZED: webdav.FileSystemSerializer = {
  uid: () => 'anemone-share-file-system',
  serialize: (_fs, callback) => callback(webdav.Errors.InvalidOperation),
  unserialize: (_data, callback) => callback(webdav.Errors.InvalidOperation),
};
