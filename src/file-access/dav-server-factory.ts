import { v2 as webdav } from 'webdav-server';
import { DavShareFileSystem } from './dav-file-system.js';

/**
 * Makes the webdav-server of one user. Its own module so that the library
 * loads with the first WebDAV request (dav-servers.ts imports this
 * dynamically), not at every server's start.
 */
export function createDavServer(
  user: { id: number; username: string },
  folder: string,
  logFailure: (error: Error) => void,
  headers: Record<string, string>,
): webdav.WebDAVServer {
  const davUser: webdav.IUser = { uid: String(user.id), username: user.username, isAdministrator: false, isDefaultUser: false };
  return new webdav.WebDAVServer({
    rootFileSystem: new DavShareFileSystem(folder, logFailure),
    httpAuthentication: {
      askForAuthentication: () => ({}),
      getUser: (_ctx, callback) => callback(undefined as unknown as Error, davUser),
    },
    // hrefs as paths: the library would otherwise write http:// URLs although this is HTTPS
    respondWithPaths: true,
    // a listing one level at a time (Depth: infinity on a large share would be one enormous answer)
    maxRequestDepth: 1,
    serverName: 'Anemone',
    headers,
  });
}
