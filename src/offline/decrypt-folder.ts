/**
 * The core of the offline `anemone decrypt`: turn a copy of a peer's
 * `incoming/<source>/<user>/<share>/` folder back into the user's files with
 * only the user key. Each file is restored or reported; one bad file never
 * stops the rest, and nothing is ever written outside `outDir`.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsPathFor, parentOf, type FsPath } from '../manifest/file-keys.js';
import { relPathProblem } from '../manifest/rel-path.js';
import { runWorkerPool } from '../util/worker-pool.js';
import { HASHED_FOLDER, MANIFEST_STORED_NAME, relPathForStored, storedNameFor } from '../manifest/stored-names.js';
import type { Manifest, ManifestFile } from '../manifest/manifest.js';
import { decryptFileTo, decryptManifestFile } from './decrypt-file.js';
import { locateVersion } from './snapshot-manifest.js';
import { DecryptError } from './errors.js';

export { decryptFileTo, decryptManifestFile, type DecryptFileOptions } from './decrypt-file.js';

/** Several files at once, so per-file fsync latency overlaps; small enough for a laptop. */
const FILES_IN_PARALLEL = 4;

export type DecryptProgress = { filesDone: number; filesTotal: number; bytesDone: number };

export type DecryptFolderOptions = {
  userKey: Buffer;
  inDir: string;
  outDir: string;
  sourceServer: string;
  user: string;
  share: string;
  onProgress?: (progress: DecryptProgress) => void;
  /** An older state (snapshot-manifest.ts): its manifest, and the history holding the versions it lists. */
  snapshot?: { manifest: Manifest; historyFolder: string };
};

export type DecryptFolderResult = {
  files: number;
  bytes: number;
  failures: { path: string; message: string }[];
};

type FileToRestore = { relPath: string; expectedSha256?: string; mtimeMs?: number; file?: ManifestFile };
type FilesToRestore = { files: FileToRestore[]; unnamed: string[] };

/**
 * With a manifest, restores exactly the files it lists and checks each one's
 * SHA-256; without one, restores every stored file found in the folder.
 * Throws only when the manifest itself cannot be used.
 */
export async function decryptPeerFolder(opts: DecryptFolderOptions): Promise<DecryptFolderResult> {
  const { userKey, inDir, outDir, sourceServer, user, share } = opts;
  const { files: toRestore, unnamed } = await listFilesToRestore(opts);
  const result: DecryptFolderResult = { files: 0, bytes: 0, failures: [] };
  for (const storedPath of unnamed) {
    result.failures.push({
      path: storedPath,
      message: `${storedPath} was not restored: it is stored under the hash of its name, and only the manifest (${MANIFEST_STORED_NAME}), missing here, says which file it is.`,
    });
  }
  let filesDone = 0;
  await mkdir(outDir, { recursive: true });

  await runWorkerPool(toRestore, async (file) => {
    try {
      const outPath = outputPathFor(outDir, file.relPath);
      await mkdir(parentOf(outPath), { recursive: true });
      const encPath =
        opts.snapshot && file.file
          ? await locateVersion(inDir, opts.snapshot.historyFolder, file.relPath, file.file)
          : path.join(inDir, ...storedNameFor(file.relPath).split('/'));
      const { bytes } = await decryptFileTo({
        userKey,
        encPath,
        outPath,
        context: { sourceServer, user, share, relPath: file.relPath },
        expectedSha256: file.expectedSha256,
        mtimeMs: file.mtimeMs,
      });
      result.files += 1;
      result.bytes += bytes;
    } catch (error) {
      result.failures.push({ path: file.relPath, message: messageOf(error, file.relPath) });
    }
    filesDone += 1;
    opts.onProgress?.({ filesDone, filesTotal: toRestore.length, bytesDone: result.bytes });
  }, { concurrency: FILES_IN_PARALLEL });

  result.failures.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return result;
}

async function listFilesToRestore(opts: DecryptFolderOptions): Promise<FilesToRestore> {
  if (opts.snapshot) return { files: filesOf(opts.snapshot.manifest), unnamed: [] };
  const manifestPath = path.join(opts.inDir, MANIFEST_STORED_NAME);
  if (!(await isFile(manifestPath))) {
    const storedPaths = await listStoredFiles(opts.inDir).catch((error: unknown) => {
      throw new DecryptError('missing', `The folder ${opts.inDir} could not be read (${(error as Error).message}).`, {
        cause: error,
      });
    });
    // without the manifest, a file's name is its stored name, except for hashed names (stored-names.ts)
    const files = storedPaths.flatMap((storedPath) => {
      const relPath = relPathForStored(storedPath);
      return relPath === null ? [] : [{ relPath }];
    });
    return { files, unnamed: storedPaths.filter((storedPath) => storedPath.startsWith(`${HASHED_FOLDER}/`)) };
  }
  return { files: filesOf(await decryptManifestFile(opts.userKey, manifestPath, opts)), unnamed: [] };
}

function filesOf(manifest: Manifest): FileToRestore[] {
  return Object.entries(manifest.files).map(([relPath, file]) => ({ relPath, expectedSha256: file.sha256, mtimeMs: file.mtimeMs, file }));
}

/** Where a relPath is restored, with the exact bytes of its name; refuses any path that would leave outDir. */
function outputPathFor(outDir: string, relPath: string): FsPath {
  const problem = relPathProblem(relPath);
  const outPath = fsPathFor(outDir, relPath);
  // a path in bytes holds only checked parts (no "/", "..", NUL): it cannot leave outDir
  const fromOutDir = typeof outPath === 'string' ? path.relative(path.resolve(outDir), outPath) : 'checked';
  if (problem || fromOutDir === '' || fromOutDir.startsWith('..') || path.isAbsolute(fromOutDir)) {
    throw new DecryptError(
      'unsafe-path',
      `${JSON.stringify(relPath)} was not restored: ${problem ?? 'the path leads outside the output folder'}.`,
    );
  }
  return outPath;
}

async function isFile(filePath: string): Promise<boolean> {
  try {
    return (await stat(filePath)).isFile();
  } catch {
    return false;
  }
}

/** Every regular `*.enc` file under `dir`, as sorted `/`-separated paths; symlinks are not followed. */
async function listStoredFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (absoluteDir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(absoluteDir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        await walk(path.join(absoluteDir, entry.name), `${prefix}${entry.name}/`);
      } else if (entry.isFile() && entry.name.endsWith('.enc')) {
        found.push(prefix + entry.name);
      }
    }
  };
  await walk(dir, '');
  return found.sort();
}

function messageOf(error: unknown, relPath: string): string {
  if (error instanceof DecryptError) return error.message;
  return `${JSON.stringify(relPath)} was not restored: ${(error as Error).message}`;
}
