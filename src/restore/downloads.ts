/** Restore page downloads: one file, or several as a ZIP, decrypted on this server and verified on the way out. */
import type { Readable } from 'node:stream';
import type { Logger } from '../logging/logger.js';
import { displayPart, displayPath } from '../manifest/file-keys.js';
import { relPathProblem } from '../manifest/rel-path.js';
import type { PeerClient } from '../peer-client/index.js';
import type { BackupAccess, BackupRef } from './backup-access.js';
import { findFile, selectFiles, type SelectedFile } from './backup-tree.js';
import { afterFirstPiece } from './first-piece.js';
import { describeRestoreError, unsafePath } from './restore-errors.js';
import { openVerifiedFile } from './verified-file-stream.js';
import { zipArchive } from './zip-archive.js';

export interface FileDownload {
  stream: Readable;
  /** The file's own name (last part of its path), as a person reads it. */
  name: string;
  size: number;
  mtimeMs: number;
}

export interface ZipDownload {
  stream: Readable;
  /** The archive's exact length, when known in advance. */
  size: number | undefined;
  files: number;
}

/**
 * One file. Resolves once its first verified bytes are ready, so a file of
 * one chunk that fails its checks is still an error answer; a larger one
 * that fails later ends its stream with the error (the response is aborted).
 */
export async function openFileDownload(access: BackupAccess, ref: BackupRef, relPath: string, logger: Logger): Promise<FileDownload> {
  return withOwnClient(access, ref, async (client) => {
    const manifest = await access.manifest(ref, { cached: true, client });
    const file = findFile(manifest, relPath);
    const plaintext = await openFile(access, ref, client, file);
    reportFailure(plaintext, logger, ref, file.relPath);
    return {
      stream: await afterFirstPiece(plaintext),
      name: displayPart(file.relPath.split('/').at(-1) as string),
      size: file.entry.size,
      mtimeMs: file.entry.mtimeMs,
    };
  });
}

/**
 * Files and folders as one ZIP, entries named by their path in the share as
 * a person reads it: ZIP names are text, so a name that is not UTF-8 shows
 * U+FFFD where its bytes were (restore into the share, or `anemone decrypt`,
 * give back the exact bytes).
 */
export async function openZipDownload(access: BackupAccess, ref: BackupRef, paths: readonly string[], logger: Logger): Promise<ZipDownload> {
  return withOwnClient(access, ref, async (client) => {
    const manifest = await access.manifest(ref, { cached: true, client });
    const files = selectFiles(manifest, paths);
    for (const file of files) {
      const problem = relPathProblem(file.relPath);
      if (problem) throw unsafePath(file.relPath, problem);
    }
    const archive = zipArchive(
      files.map((file) => ({ name: displayPath(file.relPath), size: file.entry.size, mtimeMs: file.entry.mtimeMs, open: () => openFile(access, ref, client, file) })),
    );
    reportFailure(archive.stream, logger, ref, `ZIP of ${files.length} file(s)`);
    return { stream: archive.stream, size: archive.size, files: files.length };
  });
}

function openFile(access: BackupAccess, ref: BackupRef, client: PeerClient, file: SelectedFile): Promise<Readable> {
  return openVerifiedFile({
    client,
    userKey: access.userKey(ref.user),
    context: { ...access.context(ref), relPath: file.relPath },
    entry: file.entry,
    byCtSha256: ref.snapshot !== undefined,
  });
}

/**
 * The client lives as long as the download: closed when its stream closes,
 * or at once when the download could not start.
 */
async function withOwnClient<T extends { stream: Readable }>(access: BackupAccess, ref: BackupRef, start: (client: PeerClient) => Promise<T>): Promise<T> {
  const client = access.client(ref.peer.id);
  const close = () => void client.close().catch(() => undefined);
  try {
    const download = await start(client);
    download.stream.once('close', close);
    return download;
  } catch (error) {
    close();
    throw error;
  }
}

/** A download that fails after it started cannot answer with an error any more: the log says what happened. */
function reportFailure(stream: Readable, logger: Logger, ref: BackupRef, what: string): void {
  stream.once('error', (error) => {
    const failure = describeRestoreError(error);
    logger.warn({ user: ref.user.username, share: ref.share.name, peer: ref.peer.name, code: failure.code, error: failure.message }, `restore download of ${what} failed`);
  });
}
