/**
 * Manifest deltas (docs/format.md, "Manifest deltas"): what changed between
 * two generations of a share's manifest. The peer cannot decrypt, so it
 * cannot fold deltas into the manifest: the source sends a delta per write
 * and, every so often, a full manifest that replaces the journal. Readers
 * apply the base manifest and the journal in order, checking the chain.
 */
import { z } from 'zod';
import { ManifestError, manifestFileSchema, parseManifest, type Manifest, type ManifestFile } from './manifest.js';

/** The stored name of the delta that leads to `generation`, beside `_manifest.json.enc`. */
export const JOURNAL_FOLDER = '_manifest.d';
export function deltaStoredName(generation: number): string {
  return `${JOURNAL_FOLDER}/${generation}.json.enc`;
}
/** The generation a journal file name holds, or undefined when it is not one. */
export function generationOfDeltaName(name: string): number | undefined {
  const match = /^(\d{1,15})\.json\.enc$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

export const manifestDeltaSchema = z.object({
  version: z.literal(1),
  kind: z.literal('delta'),
  sourceServer: z.string().min(1),
  user: z.string().min(1),
  share: z.string().min(1),
  baseGeneration: z.number().int().nonnegative(),
  generation: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  /** Entries added or changed since the base generation. */
  files: z.record(z.string().min(1), manifestFileSchema),
  /** Keys removed since the base generation. */
  deleted: z.array(z.string().min(1)),
});
export type ManifestDelta = z.infer<typeof manifestDeltaSchema>;

export function parseManifestDelta(json: Buffer): ManifestDelta {
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch (error) {
    throw new ManifestError('invalid-json', `The manifest delta is not valid JSON (${(error as Error).message})`);
  }
  const parsed = manifestDeltaSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.map(String).join('.') || 'the delta'}: ${issue.message}`);
    throw new ManifestError('invalid-manifest', `The manifest delta does not have the expected form: ${problems.join('; ')}`);
  }
  if (parsed.data.generation <= parsed.data.baseGeneration) {
    throw new ManifestError('invalid-manifest', `The manifest delta leads from generation ${parsed.data.baseGeneration} to ${parsed.data.generation}, which is not forward`);
  }
  // rebuilt with own entries, as parseManifest does: a file named __proto__ stays a file
  const files = parseManifest(JSON.stringify({ ...envelopeOf(parsed.data), files: (raw as { files: unknown }).files })).files;
  return { ...parsed.data, files };
}

function envelopeOf(delta: ManifestDelta): Omit<Manifest, 'files'> {
  return { version: 1, sourceServer: delta.sourceServer, user: delta.user, share: delta.share, generation: delta.generation, createdAt: delta.createdAt };
}

export function serializeManifestDelta(delta: ManifestDelta): Buffer {
  return Buffer.from(JSON.stringify(delta), 'utf8');
}

/** Why a base manifest and its journal do not make one state: the reader says which link is wrong. */
export class ManifestChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestChainError';
  }
}

/**
 * The state a base manifest and its journal describe. `deltas` are those
 * the peer stores, in any order: a delta at or below the base's generation
 * is one a full manifest replaced (a fold whose journal was not yet
 * removed) and is ignored; the others must chain from the base, each
 * delta's base being the generation before it, with no gap.
 */
export function applyJournal(base: Manifest, deltas: readonly ManifestDelta[]): Manifest {
  const pending = deltas.filter((delta) => delta.generation > base.generation).sort((a, b) => a.generation - b.generation);
  const files: Record<string, ManifestFile> = Object.assign(Object.create(null) as Record<string, ManifestFile>, base.files);
  let generation = base.generation;
  let createdAt = base.createdAt;
  for (const delta of pending) {
    const named = [delta.sourceServer, delta.user, delta.share].join('/');
    if (named !== [base.sourceServer, base.user, base.share].join('/')) {
      throw new ManifestChainError(`The manifest delta of generation ${delta.generation} names ${named}, not the share of the manifest`);
    }
    if (delta.baseGeneration !== generation) {
      throw new ManifestChainError(
        `The manifest journal is broken: the delta of generation ${delta.generation} follows generation ${delta.baseGeneration}, ` +
          `but the manifest and the deltas before it lead to generation ${generation} (a delta is missing or out of place)`,
      );
    }
    for (const relPath of delta.deleted) delete files[relPath];
    for (const relPath of Object.keys(delta.files)) setOwn(files, relPath, delta.files[relPath] as ManifestFile);
    generation = delta.generation;
    createdAt = delta.createdAt;
  }
  return { ...base, generation, createdAt, files: withOwnKeys(files) };
}

/** A plain object again (parseManifest's shape), with `__proto__` as an own entry. */
function withOwnKeys(files: Record<string, ManifestFile>): Record<string, ManifestFile> {
  const plain: Record<string, ManifestFile> = {};
  for (const relPath of Object.keys(files)) setOwn(plain, relPath, files[relPath] as ManifestFile);
  return plain;
}

function setOwn(files: Record<string, ManifestFile>, relPath: string, entry: ManifestFile): void {
  Object.defineProperty(files, relPath, { value: entry, enumerable: true, writable: true, configurable: true });
}

/** How many deltas, and how many of their bytes, the peer holds beside its full manifest. */
export interface JournalSize {
  count: number;
  bytes: number;
}

export const FOLD_AFTER_DELTAS = 32;
export const FOLD_AT_FRACTION_OF_MANIFEST = 0.25;

/**
 * Whether the next write should be a full manifest: after 32 deltas, or when
 * the journal would outweigh a quarter of the full manifest — a reader then
 * fetches at most 1.25 times the manifest and 33 objects.
 */
export function shouldFold(journal: JournalSize, fullManifestBytes: number, nextDeltaBytes: number): boolean {
  if (journal.count + 1 > FOLD_AFTER_DELTAS) return true;
  return journal.bytes + nextDeltaBytes > fullManifestBytes * FOLD_AT_FRACTION_OF_MANIFEST;
}
