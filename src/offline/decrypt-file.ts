/** Decrypting one stored file or manifest to disk, with nothing left behind on failure. */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  CHUNK_SIZE,
  createDecryptStream,
  fileInfo,
  FormatError,
  type FileContext,
  type ManifestContext,
} from '../crypto/index.js';
import { baseNameOf, siblingPath, type FsPath } from '../manifest/file-keys.js';
import { ManifestError, type Manifest } from '../manifest/manifest.js';
import { applyJournal, generationOfDeltaName, JOURNAL_FOLDER, ManifestChainError, type ManifestDelta } from '../manifest/manifest-delta.js';
import { namesProblem, openSealedDelta, openSealedManifest } from '../manifest/sealed-manifest.js';
import { openRegularFile } from '../util/open-regular-file.js';
import { DecryptError } from './errors.js';

const CHECK_KEY_HINT = "Check that you are using this user's key and a complete, unmodified copy of the peer's folder.";
const CHECK_COPY_HINT = "Check that the copy of the peer's folder is complete.";

export type DecryptFileOptions = {
  userKey: Buffer;
  encPath: string;
  /** Where the file lands: bytes where its name is not UTF-8 (manifest/file-keys.ts). */
  outPath: FsPath;
  context: FileContext;
  /** Plaintext SHA-256 from the manifest; the file is only put in place if it matches. */
  expectedSha256?: string;
  /** Modification time to give the restored file, from the manifest. */
  mtimeMs?: number;
};

/**
 * Decrypts `encPath` into a temporary file beside `outPath` and renames it
 * into place only after every chunk verified and the SHA-256 matched: a
 * failed restore leaves nothing, not even a partial file.
 */
export async function decryptFileTo(opts: DecryptFileOptions): Promise<{ bytes: number; sha256: string }> {
  // Name shortened so a long file name still leaves room for the suffix (255-byte limit).
  const shortName = Array.from(baseNameOf(opts.outPath)).slice(0, 40).join('');
  const tempPath = siblingPath(opts.outPath, `.${shortName}.anemone-tmp-${randomBytes(6).toString('hex')}`);
  const label = `"${opts.context.relPath}" (${opts.encPath})`;
  const input = await openEncrypted(opts.encPath, label);
  const readErrors = new Set<unknown>();
  let handle: FileHandle | undefined;
  try {
    handle = await open(tempPath, 'wx');
    const output = handle;
    const hash = createHash('sha256');
    let bytes = 0;
    const encrypted = input.createReadStream({ highWaterMark: CHUNK_SIZE, autoClose: false });
    encrypted.once('error', (error) => readErrors.add(error));
    await pipeline(
      encrypted,
      createDecryptStream(opts.userKey, fileInfo(opts.context)),
      async (plaintext: AsyncIterable<Buffer>) => {
        for await (const chunk of plaintext) {
          hash.update(chunk);
          bytes += chunk.length;
          await writeAll(output, chunk);
        }
      },
    );
    const sha256 = hash.digest('hex');
    if (opts.expectedSha256 !== undefined && sha256 !== opts.expectedSha256.toLowerCase()) {
      throw new DecryptError(
        'checksum-mismatch',
        `${label} decrypted, but its SHA-256 does not match the manifest, so it was not restored. ` +
          "The source's manifest and the peer's copy disagree; try a more recent copy of the peer's folder.",
      );
    }
    if (opts.mtimeMs !== undefined) await handle.utimes(new Date(), new Date(opts.mtimeMs));
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tempPath, opts.outPath);
    return { bytes, sha256 };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw explainFileError(error, label, readErrors.has(error));
  } finally {
    await input.close().catch(() => undefined);
  }
}

/**
 * A file of a peer's folder, opened only if it is a regular file: the copy
 * is not ours, and a symlink there would be followed out of it, a FIFO
 * would hang the decryption. The caller closes the handle.
 */
async function openEncrypted(encPath: string, label: string): Promise<FileHandle> {
  let opened;
  try {
    opened = await openRegularFile(encPath);
  } catch (error) {
    throw new DecryptError('read-failed', `${label} could not be read (${(error as Error).message}).`, { cause: error });
  }
  if (opened.kind === 'missing') throw new DecryptError('missing', `${label} is missing from the peer's folder. ${CHECK_COPY_HINT}`);
  if (opened.kind === 'not-regular') {
    throw new DecryptError(
      'not-a-file',
      `${label} was not read: it is not a regular file but a symbolic link, a FIFO or a device, which a peer never stores. ` +
        "A peer stores only regular files: check where this copy of the peer's folder came from, and copy it again.",
    );
  }
  return opened.handle;
}

/** A small file of a peer's folder (a manifest, a delta), read whole, and only if it is a regular file. */
export async function readStoredFile(filePath: string, label = filePath): Promise<Buffer> {
  const handle = await openEncrypted(filePath, label);
  try {
    return await handle.readFile();
  } catch (error) {
    throw new DecryptError('read-failed', `${label} could not be read (${(error as Error).message}). ${CHECK_COPY_HINT}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/** fs writes may be short; loop until the whole chunk is on its way to disk. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset);
    offset += bytesWritten;
  }
}

function explainFileError(error: unknown, label: string, whileReading: boolean): DecryptError {
  if (error instanceof DecryptError) return error;
  if (error instanceof FormatError) {
    return new DecryptError('damaged', `${label} could not be decrypted. ${error.message}. ${CHECK_KEY_HINT}`, {
      cause: error,
    });
  }
  const fsError = error as NodeJS.ErrnoException;
  if (whileReading) return new DecryptError('read-failed', `${label} could not be read (${fsError.message}). ${CHECK_COPY_HINT}`, { cause: error });
  return new DecryptError(
    'write-failed',
    `${label} could not be written (${fsError.message}). Check that the output folder is writable and has free space.`,
    { cause: error },
  );
}

/**
 * Decrypts and checks a share's `_manifest.json.enc` and applies the journal
 * beside it (`_manifest.d/`, docs/format.md), checking its chain. The key is
 * bound to the source server, user and share names, so a wrong name fails
 * like a wrong key.
 */
export async function decryptManifestFile(userKey: Buffer, manifestPath: string, ctx: ManifestContext): Promise<Manifest> {
  const label = `The manifest ${manifestPath}`;
  // A manifest is small (about 200 bytes a file): read whole, not streamed.
  const encrypted = await readStoredFile(manifestPath, label);
  const base = opened(label, ctx, () => openSealedManifest(userKey, ctx, encrypted));
  const problem = namesProblem(base, ctx);
  if (problem) {
    throw new DecryptError('bad-manifest', `${label}: ${problem}; the source wrote it inconsistently.`);
  }
  const journalFolder = path.join(path.dirname(manifestPath), JOURNAL_FOLDER);
  const deltas: ManifestDelta[] = [];
  for (const name of await readdir(journalFolder).catch(() => [])) {
    const generation = generationOfDeltaName(name);
    if (generation === undefined) continue;
    const deltaPath = path.join(journalFolder, name);
    const bytes = await readStoredFile(deltaPath, `The manifest delta ${deltaPath}`);
    deltas.push(opened(`The manifest delta ${deltaPath}`, ctx, () => openSealedDelta(userKey, ctx, { generation, bytes })));
  }
  try {
    return applyJournal(base, deltas);
  } catch (error) {
    if (!(error instanceof ManifestChainError)) throw error;
    throw new DecryptError(
      'bad-manifest',
      `${error.message}. Nothing was restored rather than an older state: copy the folder ${JOURNAL_FOLDER} from the peer again, complete.`,
      { cause: error },
    );
  }
}

/** Runs `open`, turning its failures into messages for the person decrypting. */
export function opened<T>(label: string, ctx: ManifestContext, open: () => T): T {
  try {
    return open();
  } catch (error) {
    if (error instanceof FormatError) {
      throw new DecryptError(
        'damaged',
        `${label} could not be decrypted. ${error.message}. Check the user key, and that the source server, ` +
          `user and share names ("${ctx.sourceServer}", "${ctx.user}", "${ctx.share}") are exactly those of ` +
          "the peer's folder incoming/<source>/<user>/<share>.",
        { cause: error },
      );
    }
    if (error instanceof ManifestError || error instanceof ManifestChainError) {
      throw new DecryptError('bad-manifest', `${label} decrypted but is not usable: ${error.message}.`, { cause: error });
    }
    throw error;
  }
}
