import { rename } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AnemoneError } from '../errors/catalogue.js';
import { limits } from '../protocol/v1/index.js';
import { bodyChunks } from './body-chunks.js';
import { asStorageError } from './fs-errors.js';
import { fsyncFolder } from './fsync.js';
import { RealDirectories, existingFileSize } from './real-dirs.js';
import type { StoredFileStream } from './incoming-store.js';
import { TempFile, type WriteStreamFactory, diskWriteStream } from './temp-file.js';
import { openRegularFile } from '../util/open-regular-file.js';

/**
 * Beside a source's users, never mistaken for one: user names cannot start with "_".
 * The kit is sealed by the source's passphrase; this server stores bytes it cannot read.
 */
export const RECOVERY_KIT_STORED_NAME = '_recovery-kit.bin';
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Each source's recovery kit: `<incomingDir>/<source>/_recovery-kit.bin`, replaced atomically. */
export class RecoveryKitStore {
  constructor(
    private readonly root: string,
    private readonly createWriteStream: WriteStreamFactory = diskWriteStream,
  ) {}

  async put(source: string, body: Readable, ctSha256: string): Promise<{ size: number }> {
    const dirs = new RealDirectories(this.root);
    let temp: TempFile | undefined;
    try {
      const folder = await dirs.ensure([checkedSource(source)]);
      const target = path.join(folder, RECOVERY_KIT_STORED_NAME);
      // refused before reading the body when a symlink or folder sits at the name
      await existingFileSize(target, this.root);
      temp = new TempFile(folder, limits.recoveryKitMaxBytes, this.createWriteStream);
      for await (const chunk of bodyChunks(body)) await temp.write(chunk);
      await temp.finish(ctSha256);
      await rename(temp.path, target);
      const size = temp.size;
      temp = undefined;
      await fsyncFolder(folder);
      if (dirs.created.length > 0) await fsyncFolder(this.root);
      return { size };
    } catch (error) {
      await temp?.discard();
      await dirs.removeCreatedIfEmpty();
      throw asStorageError(error);
    }
  }

  /** The stored kit of `source`; NOT_FOUND when it never sent one. */
  async open(source: string): Promise<StoredFileStream> {
    const folder = await new RealDirectories(this.root).find([checkedSource(source)]);
    if (folder === undefined) throw noKit(source);
    // a symlink or FIFO planted at the name is refused, not read through or waited on
    const opened = await openRegularFile(path.join(folder, RECOVERY_KIT_STORED_NAME));
    if (opened.kind !== 'file') throw noKit(source);
    return { stream: opened.handle.createReadStream(), size: opened.size };
  }
}

function checkedSource(source: string): string {
  if (!SOURCE_NAME.test(source)) throw new AnemoneError('VALIDATION_FAILED', { message: `"${source}" is not a valid server name` });
  return source;
}

function noKit(source: string): AnemoneError {
  return new AnemoneError('NOT_FOUND', { message: `No recovery kit of "${source}" is kept here`, hint: 'Check the server name; the source keeps a copy on its peers only after its administrator downloaded a kit.' });
}
