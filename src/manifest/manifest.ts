/** The manifest plaintext of FORMAT.md: what a source says a peer holds for one share. */
import { z } from 'zod';
import { CodedError } from '../crypto/index.js';

const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const manifestFileSchema = z.object({
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  /** SHA-256 of the plaintext, checked after decryption. */
  sha256: sha256HexSchema,
  /** SHA-256 of the stored `.enc` bytes, so a source can check a peer without the key. */
  ctSha256: sha256HexSchema,
});

export const manifestSchema = z.object({
  version: z.literal(1),
  sourceServer: z.string().min(1),
  user: z.string().min(1),
  share: z.string().min(1),
  /** Grows by one with every manifest a source writes. */
  generation: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  /** relPath (`/`-separated, relative to the share root) → what was stored. */
  files: z.record(z.string().min(1), manifestFileSchema),
});

export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

export type ManifestErrorCode = 'invalid-json' | 'invalid-manifest';

export class ManifestError extends CodedError<ManifestErrorCode> {
  override readonly name = 'ManifestError';
}

const PROTO_KEY = '__proto__';
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Everything but the files, checked by zod; the files are checked by `fileEntry`, the hot path with 50,000 entries. */
const manifestEnvelopeSchema = manifestSchema.omit({ files: true });

export function parseManifest(json: string | Buffer): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof json === 'string' ? json : json.toString('utf8'));
  } catch (error) {
    throw new ManifestError('invalid-json', `The manifest is not valid JSON (${(error as Error).message})`);
  }
  return manifestOf(raw);
}

/** The checks of `parseManifest` on what JSON.parse gave (its `files` object is checked and taken as it is). */
export function manifestOf(raw: unknown): Manifest {
  const envelope = manifestEnvelopeSchema.safeParse(raw);
  if (!envelope.success) throw invalid(envelope.error.issues);
  const rawFiles = (raw as { files?: unknown }).files;
  if (typeof rawFiles !== 'object' || rawFiles === null || Array.isArray(rawFiles)) {
    throw new ManifestError('invalid-manifest', 'The manifest does not have the expected form: files: must be an object of file entries');
  }
  return { ...envelope.data, files: parseFiles(rawFiles as Record<string, unknown>) };
}

/**
 * The same rules as `manifestFileSchema`, written out: zod takes about three
 * times as long as JSON.parse itself on a large manifest, and builds a second
 * copy of it. A failing entry goes through zod for the message.
 */
function parseFiles(rawFiles: Record<string, unknown>): Manifest['files'] {
  // JSON.parse made `rawFiles` with own keys only (`__proto__` included): each entry is checked and replaced
  // in place, rather than copied into a second object of every path (200,000 of them in a large share)
  const files = rawFiles as Manifest['files'];
  for (const relPath of Object.keys(rawFiles)) {
    const value = rawFiles[relPath];
    const entry = relPath.length > 0 ? fileEntry(value) : undefined;
    if (!entry) {
      if (relPath.length === 0) throw invalid([{ path: ['files', ''], message: 'a file path must not be empty' }]);
      const issues = manifestFileSchema.safeParse(value).error?.issues ?? [];
      throw invalid(issues.map((issue) => ({ path: ['files', relPath, ...issue.path], message: issue.message })));
    }
    // a file named __proto__ is legal and must not become the object's prototype
    if (relPath === PROTO_KEY) Object.defineProperty(files, PROTO_KEY, { value: entry, enumerable: true, writable: true, configurable: true });
    else files[relPath] = entry;
  }
  return files;
}

function fileEntry(value: unknown): ManifestFile | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { size, mtimeMs, sha256, ctSha256 } = value as Record<string, unknown>;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs)) return undefined;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) return undefined;
  if (typeof ctSha256 !== 'string' || !SHA256_HEX.test(ctSha256)) return undefined;
  return { size, mtimeMs, sha256, ctSha256 };
}

function invalid(issues: readonly { path: readonly PropertyKey[]; message: string }[]): ManifestError {
  const problems = issues.slice(0, 3).map((issue) => `${issue.path.map(String).join('.') || 'the manifest'}: ${issue.message}`);
  return new ManifestError('invalid-manifest', `The manifest does not have the expected form: ${problems.join('; ') || 'a file entry is not valid'}`);
}

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}

/** The plaintext file count and bytes of the state a manifest describes (sent to the peer for its snapshot list). */
export function manifestTotals(manifest: Pick<Manifest, 'files'>): { fileCount: number; bytes: number } {
  let bytes = 0;
  const entries = Object.values(manifest.files);
  for (const file of entries) bytes += file.size;
  return { fileCount: entries.length, bytes };
}
