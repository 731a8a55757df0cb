import { v2 as webdav } from 'webdav-server';

type Lock = webdav.Lock;

/**
 * The WebDAV locks of one user's files, in memory (a restart drops them, as
 * a lock is a client's short-lived claim, refreshed while it holds it). One
 * entry per path that holds a lock, removed with its last lock: browsing a
 * large tree costs nothing here, unlike the library's own managers which
 * keep an object for every path ever seen.
 */
export class DavLocks {
  private readonly byPath = new Map<string, Lock[]>();

  managerFor(pathKey: string): webdav.ILockManager {
    return {
      getLocks: (callback) => callback(undefined, this.live(pathKey)),
      setLock: (lock, callback) => {
        this.byPath.set(pathKey, [...this.live(pathKey), lock]);
        callback();
      },
      removeLock: (uuid, callback) => {
        const locks = this.live(pathKey);
        const kept = locks.filter((lock) => lock.uuid !== uuid);
        this.store(pathKey, kept);
        callback(undefined, kept.length !== locks.length);
      },
      getLock: (uuid, callback) => callback(undefined, this.live(pathKey).find((lock) => lock.uuid === uuid) as Lock),
      refresh: (uuid, timeoutSeconds, callback) => {
        const lock = this.live(pathKey).find((candidate) => candidate.uuid === uuid);
        lock?.refresh(timeoutSeconds);
        callback(undefined, lock as Lock);
      },
    };
  }

  /** A path deleted or moved away: its locks and those below it go with it. */
  forget(pathKey: string): void {
    for (const key of this.byPath.keys()) if (key === pathKey || key.startsWith(`${pathKey}/`)) this.byPath.delete(key);
  }

  private live(pathKey: string): Lock[] {
    const locks = (this.byPath.get(pathKey) ?? []).filter((lock) => !lock.expired());
    this.store(pathKey, locks);
    return locks;
  }

  private store(pathKey: string, locks: Lock[]): void {
    if (locks.length === 0) this.byPath.delete(pathKey);
    else this.byPath.set(pathKey, locks);
  }
}

/**
 * Dead properties (PROPPATCH) are accepted and not kept: Windows sets its
 * file times that way and only needs the answer to be a success; the times
 * that matter come from the file system. Nothing is held per path.
 */
export const UNKEPT_PROPERTIES: webdav.IPropertyManager = {
  setProperty: (_name, _value, _attributes, callback) => callback(),
  getProperty: (_name, callback) => callback(webdav.Errors.PropertyNotFound),
  removeProperty: (_name, callback) => callback(),
  getProperties: (callback) => callback(undefined, {}),
};
