/**
 * The manifest of an older snapshot, rebuilt offline from a copy of a peer's
 * folder with the user key alone: the share's current manifest and journal,
 * and its history (`.history/<user>/<share>/`, docs/format.md), whose names
 * say each file's generation. No database, so no rollback check: the person
 * asks for an older state on purpose.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestContext } from '../crypto/index.js';
import { generationOfKeptName, HISTORY_DELTAS, HISTORY_FOLDER, HISTORY_MANIFESTS, HISTORY_OBJECTS, versionFileName } from '../manifest/history-names.js';
import { applyJournal, generationOfDeltaName, JOURNAL_FOLDER, type ManifestDelta } from '../manifest/manifest-delta.js';
import type { Manifest, ManifestFile } from '../manifest/manifest.js';
import { namesProblem, openSealedDelta, openSealedManifest } from '../manifest/sealed-manifest.js';
import { MANIFEST_STORED_NAME, storedNameFor } from '../manifest/stored-names.js';
import { opened, readStoredFile } from './decrypt-file.js';
import { hashRegularFile } from '../util/hash-file.js';
import { DecryptError } from './errors.js';

/** Which state to rebuild: a generation, or the newest one written at or before a time. */
export type SnapshotChoice = { generation: number } | { at: Date };

/** `<incoming>/<source>/<user>/<share>` → `<incoming>/<source>/.history/<user>/<share>`. */
export function historyFolderOf(shareFolder: string): string {
  const userFolder = path.dirname(shareFolder);
  return path.join(path.dirname(userFolder), HISTORY_FOLDER, path.basename(userFolder), path.basename(shareFolder));
}

type Found<T> = { value: T; file: string };

export async function readSnapshotManifest(opts: {
  userKey: Buffer;
  shareFolder: string;
  historyFolder: string;
  context: ManifestContext;
  choice: SnapshotChoice;
}): Promise<Manifest> {
  const { userKey, context } = opts;
  const fulls = await openAll(
    [...(await keptFiles(path.join(opts.historyFolder, HISTORY_MANIFESTS))), ...(await currentFile(path.join(opts.shareFolder, MANIFEST_STORED_NAME)))],
    (file, bytes) => openSealedManifest(userKey, context, bytes),
    context,
  );
  const deltas = await openAll(
    [...(await keptFiles(path.join(opts.historyFolder, HISTORY_DELTAS))), ...(await journalFiles(path.join(opts.shareFolder, JOURNAL_FOLDER)))],
    (file, bytes) => openSealedDelta(userKey, context, { generation: file.generation as number, bytes }),
    context,
  );
  const generation = 'generation' in opts.choice ? opts.choice.generation : generationAt(opts.choice.at, fulls, deltas);
  for (const base of fulls.filter((full) => full.value.generation <= generation).sort((a, b) => b.value.generation - a.value.generation)) {
    const problem = namesProblem(base.value, context);
    if (problem) throw new DecryptError('bad-manifest', `The manifest ${base.file}: ${problem}; the source wrote it inconsistently.`);
    const chain = deltaChain(base.value.generation, generation, deltas);
    if (chain) return opened(`The manifest ${base.file}`, context, () => applyJournal(base.value, chain));
  }
  const kept = [...new Set([...fulls, ...deltas].map((found) => found.value.generation))].sort((a, b) => a - b);
  throw new DecryptError(
    'missing',
    `Snapshot ${generation} cannot be rebuilt from this folder: no full manifest at or before it with every delta up to it. ` +
      `Generations found: ${kept.join(', ') || 'none'}. Copy the share's folder and its ${HISTORY_FOLDER} folder from the peer again, complete, or pick one of those.`,
  );
}

/**
 * Where the version a manifest lists is: the current object when its
 * ciphertext hashes to the manifest's, else the kept version named by it.
 */
export async function locateVersion(shareFolder: string, historyFolder: string, relPath: string, file: ManifestFile): Promise<string> {
  const current = path.join(shareFolder, ...storedNameFor(relPath).split('/'));
  // a current object that cannot be read as a regular file (gone, a link, a FIFO) is not the version sought
  if ((await hashRegularFile(current).catch(() => undefined))?.sha256 === file.ctSha256) return current;
  const kept = path.join(historyFolder, HISTORY_OBJECTS, ...versionFileName(file.ctSha256).split('/'));
  if (await stat(kept).then((info) => info.isFile(), () => false)) return kept;
  throw new DecryptError(
    'missing',
    `${JSON.stringify(relPath)} was not restored: this version (ciphertext SHA-256 ${file.ctSha256}) is neither the current object nor kept in ` +
      `${HISTORY_OBJECTS}/ (retention may have removed it, or the copy is incomplete). Copy the ${HISTORY_FOLDER} folder from the peer again, or pick a newer snapshot.`,
  );
}

/** The newest generation whose manifest or delta was written at or before `at`. */
function generationAt(at: Date, fulls: Found<Manifest>[], deltas: Found<ManifestDelta>[]): number {
  const written = [...fulls, ...deltas].filter((found) => Date.parse(found.value.createdAt) <= at.getTime());
  if (written.length === 0) {
    const oldest = [...fulls, ...deltas].map((found) => found.value.createdAt).sort()[0];
    throw new DecryptError('missing', `No snapshot in this folder was written at or before ${at.toISOString()}. ${oldest ? `The oldest was written at ${oldest}; give a later time.` : 'The folder holds no manifest; copy it from the peer again.'}`);
  }
  return Math.max(...written.map((found) => found.value.generation));
}

/**
 * The deltas from `from` (exclusive) to `to`, each following the one before;
 * where a generation was written twice, the first kept that chains.
 */
function deltaChain(from: number, to: number, deltas: Found<ManifestDelta>[]): ManifestDelta[] | undefined {
  const chain: ManifestDelta[] = [];
  let generation = from;
  while (generation < to) {
    const next = deltas.find((found) => found.value.baseGeneration === generation && found.value.generation > generation && found.value.generation <= to);
    if (!next) return undefined;
    chain.push(next.value);
    generation = next.value.generation;
  }
  return chain;
}

type Candidate = { file: string; generation: number | undefined; mtimeMs: number };

/** Kept manifests or deltas, oldest written first (a generation written twice: the snapshot is its first write). */
async function keptFiles(folder: string): Promise<Candidate[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return sortedByTime(names.map((name) => ({ file: path.join(folder, name), generation: generationOfKeptName(name) })));
}

async function journalFiles(folder: string): Promise<Candidate[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return sortedByTime(names.map((name) => ({ file: path.join(folder, name), generation: generationOfDeltaName(name) })));
}

async function currentFile(file: string): Promise<Candidate[]> {
  return (await stat(file).then((info) => info.isFile(), () => false)) ? [{ file, generation: undefined, mtimeMs: 0 }] : [];
}

async function sortedByTime(found: { file: string; generation: number | undefined }[]): Promise<Candidate[]> {
  const named = found.filter((candidate) => candidate.generation !== undefined);
  const timed = await Promise.all(named.map(async (candidate) => ({ ...candidate, mtimeMs: (await stat(candidate.file)).mtimeMs })));
  return timed.sort((a, b) => a.mtimeMs - b.mtimeMs);
}

/** Opens every candidate (small files: read whole), each failure worded for the person decrypting. */
async function openAll<T>(candidates: Candidate[], open: (file: Candidate, bytes: Buffer) => T, context: ManifestContext): Promise<Found<T>[]> {
  const found: Found<T>[] = [];
  for (const candidate of candidates) {
    const bytes = await readStoredFile(candidate.file);
    found.push({ file: candidate.file, value: opened(candidate.file, context, () => open(candidate, bytes)) });
  }
  return found;
}

