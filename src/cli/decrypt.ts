import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { KEY_TEXT_HINT, parseKeyText } from '../crypto/index.js';
import { childPath, rawPartOf, showFsPath } from '../manifest/file-keys.js';
import { relPathProblem } from '../manifest/rel-path.js';
import { MANIFEST_STORED_NAME, relPathForStored, storedNameIndex } from '../manifest/stored-names.js';
import { z } from 'zod';
import { decryptFileTo, decryptManifestFile, decryptPeerFolder } from '../offline/decrypt-folder.js';
import { historyFolderOf, readSnapshotManifest, type SnapshotChoice } from '../offline/snapshot-manifest.js';
import { CliError, EXIT, usageError } from './errors.js';
import { printJson } from './output.js';
import { readSecret } from './secret-input.js';

export interface DecryptOptions {
  out: string;
  /** Refused: a key on the command line shows in `ps` and the shell's history. */
  key?: string;
  keyFile?: string;
  keyStdin?: boolean;
  json?: boolean;
  source?: string;
  user?: string;
  share?: string;
  path?: string;
  /** An older state: a generation, or the newest written at or before an ISO time (docs/restore.md). */
  snapshot?: string;
  at?: string;
}

const snapshotFlags = z
  .object({
    snapshot: z.string().regex(/^\d{1,15}$/, 'a generation is a whole number, as listed in the snapshots').transform(Number).optional(),
    at: z.iso.datetime({ offset: true, message: 'a time is an ISO 8601 date and time, e.g. 2026-03-01T12:00:00Z' }).transform((text) => new Date(text)).optional(),
  })
  .refine((flags) => flags.snapshot === undefined || flags.at === undefined, { message: 'give --snapshot or --at, not both' });

/**
 * `anemone decrypt`: a file or a whole share folder copied from a peer, with
 * only the user's key — no server, no database.
 */
export async function runDecrypt(target: string, options: DecryptOptions): Promise<void> {
  const userKey = await readUserKey(options);
  const targetPath = path.resolve(target);
  const info = await stat(targetPath).catch(() => {
    throw usageError(`${target} does not exist`, 'Give the path of a .enc file or of a share folder copied from a peer.');
  });
  if (info.isDirectory()) await decryptFolder(targetPath, userKey, options);
  else await decryptSingleFile(targetPath, userKey, options);
}

/** The snapshot asked for, checked at the edge; undefined for the current state. */
function snapshotChoice(options: DecryptOptions): SnapshotChoice | undefined {
  const parsed = snapshotFlags.safeParse({ snapshot: options.snapshot, at: options.at });
  if (!parsed.success) {
    throw usageError(`--snapshot/--at: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`, 'Give --snapshot <generation> or --at <ISO time>, e.g. --at 2026-03-01T12:00:00Z.');
  }
  if (parsed.data.snapshot !== undefined) return { generation: parsed.data.snapshot };
  if (parsed.data.at !== undefined) return { at: parsed.data.at };
  return undefined;
}

async function decryptFolder(folder: string, userKey: Buffer, options: DecryptOptions): Promise<void> {
  const context = shareContext(folder, options);
  const choice = snapshotChoice(options);
  const historyFolder = historyFolderOf(folder);
  const snapshot = choice && {
    historyFolder,
    manifest: await readSnapshotManifest({ userKey, shareFolder: folder, historyFolder, context, choice }).catch((error: unknown) => {
      throw new CliError((error as Error).message, 'Check the key, the names, and that the peer folder and its .history folder are copied complete.');
    }),
  };
  const outDir = path.resolve(options.out);
  const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'Decrypting [{bar}] {value}/{total} files', stream: process.stderr }) : undefined;
  let started = false;
  const result = await decryptPeerFolder({
    userKey,
    inDir: folder,
    outDir,
    ...context,
    ...(snapshot ? { snapshot } : {}),
    onProgress: (progress) => {
      if (!bar) return;
      if (!started) bar.start(progress.filesTotal, 0);
      started = true;
      bar.update(progress.filesDone);
    },
  });
  bar?.stop();
  const failures = result.failures.map((failure) => ({ path: failure.path, message: failure.message }));
  const generation = snapshot ? { generation: snapshot.manifest.generation, createdAt: snapshot.manifest.createdAt } : {};
  if (options.json) printJson({ outDir, files: result.files, bytes: result.bytes, failures, ...generation });
  else process.stdout.write(`Decrypted ${result.files} file(s), ${result.bytes} bytes, into ${outDir}${snapshot ? ` (snapshot ${snapshot.manifest.generation} of ${snapshot.manifest.createdAt})` : ''}\n`);
  if (failures.length > 0) {
    if (!options.json) for (const failure of failures) process.stderr.write(`  failed: ${failure.path}: ${failure.message}\n`);
    throw new CliError(
      `${failures.length} file(s) could not be decrypted and were not written; the others were`,
      `Check the key is this user's and the copy of the peer's folder is complete; the files listed ${options.json ? 'in "failures"' : 'above'} are missing or damaged.`,
      result.files > 0 ? EXIT.partly : EXIT.failed,
    );
  }
}

async function decryptSingleFile(encPath: string, userKey: Buffer, options: DecryptOptions): Promise<void> {
  if (options.snapshot !== undefined || options.at !== undefined) {
    throw usageError('--snapshot and --at apply to a share folder, not to one file', 'Give the share folder incoming/<source>/<user>/<share> (with its .history folder beside it).');
  }
  const shareRoot = await findShareRoot(encPath);
  const base = shareRoot ?? path.dirname(encPath);
  const context = shareContext(base, options);
  const storedPath = path.relative(base, encPath).split(path.sep).join('/');
  const manifest = shareRoot ? await decryptManifestFile(userKey, path.join(shareRoot, MANIFEST_STORED_NAME), context) : undefined;
  // a hashed stored name (a name the peer could not hold) is found only through the manifest
  const relPath = options.path ?? relPathForStored(storedPath) ?? (manifest ? storedNameIndex(Object.keys(manifest.files)).get(storedPath) : undefined);
  if (!relPath) throw usageError(`${storedPath} is not a stored file name`, 'Give a file ending in .enc (with the share folder and its manifest), or its original path with --path.');
  const problem = relPathProblem(relPath);
  if (problem) throw usageError(`${relPath} cannot be written: ${problem}`, 'Give the original path with --path.');
  const entry = manifest && Object.hasOwn(manifest.files, relPath) ? manifest.files[relPath] : undefined;
  // the file's own name, byte for byte
  const outPath = childPath(path.resolve(options.out), rawPartOf(relPath.split('/').at(-1) as string));
  await mkdir(path.resolve(options.out), { recursive: true });
  const { bytes } = await decryptFileTo({
    userKey,
    encPath,
    outPath,
    context: { ...context, relPath },
    ...(entry ? { expectedSha256: entry.sha256, mtimeMs: entry.mtimeMs } : {}),
  });
  if (options.json) printJson({ outDir: path.resolve(options.out), files: 1, bytes, failures: [], path: relPath, writtenTo: showFsPath(outPath), verifiedAgainstManifest: Boolean(entry) });
  else process.stdout.write(`Decrypted ${relPath} (${bytes} bytes${entry ? ', SHA-256 verified against the manifest' : ''}) into ${showFsPath(outPath)}\n`);
}

/** The share folder holding `encPath`: the nearest parent with a manifest. */
async function findShareRoot(encPath: string): Promise<string | undefined> {
  for (let dir = path.dirname(encPath); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (await stat(path.join(dir, MANIFEST_STORED_NAME)).then(() => true, () => false)) return dir;
  }
  return undefined;
}

/** Source, user and share: from the flags, else from the folder's place in `incoming/<source>/<user>/<share>`. */
function shareContext(shareFolder: string, options: DecryptOptions): { sourceServer: string; user: string; share: string } {
  const [share, user, source] = shareFolder.split(path.sep).reverse();
  const context = { sourceServer: options.source ?? source, user: options.user ?? user, share: options.share ?? share };
  if (!context.sourceServer || !context.user || !context.share) {
    throw usageError('Cannot tell the source server, user and share', 'Give them with --source, --user and --share.');
  }
  return context as { sourceServer: string; user: string; share: string };
}

/** The user key: --key-stdin, --key-file, ANEMONE_USER_KEY, or a hidden prompt at a terminal; never the command line. */
async function readUserKey(options: DecryptOptions): Promise<Buffer> {
  if (options.key !== undefined) {
    throw usageError(
      '--key is no longer accepted: a key on the command line is visible to other users (ps) and kept in the shell history',
      'Give the key with --key-file <file>, pipe it with --key-stdin, set ANEMONE_USER_KEY, or leave them all out to be asked for it.',
    );
  }
  const text = options.keyFile
    ? await readFile(options.keyFile, 'utf8').catch(() => {
        throw usageError(`Cannot read the key file ${options.keyFile}`, 'Give a file holding the user key, as shown at activation.');
      })
    : await readSecret({
        fromStdin: options.keyStdin === true,
        envName: 'ANEMONE_USER_KEY',
        prompt: 'User key (as shown at activation; not echoed): ',
        missing: { message: 'No key given', hint: 'Give the user key, as shown at activation, with --key-file, --key-stdin or ANEMONE_USER_KEY.' },
      });
  const key = parseKeyText(text);
  if (!key) throw usageError('This is not a user key', KEY_TEXT_HINT);
  return key;
}
