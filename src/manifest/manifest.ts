/** The manifest plaintext of FORMAT.md: what a source says a peer holds for one share. */
import { z } from 'zod';

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

export class ManifestError extends Error {
  readonly code: ManifestErrorCode;

  constructor(code: ManifestErrorCode, message: string) {
    super(message);
    this.name = 'ManifestError';
    this.code = code;
  }
}

const PROTO_KEY = '__proto__';

export function parseManifest(json: string | Buffer): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof json === 'string' ? json : json.toString('utf8'));
  } catch (error) {
    throw new ManifestError('invalid-json', `The manifest is not valid JSON (${(error as Error).message})`);
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.map(String).join('.') || 'the manifest'}: ${issue.message}`);
    throw new ManifestError('invalid-manifest', `The manifest does not have the expected form: ${problems.join('; ')}`);
  }
  keepProtoNamedFile(raw, result.data);
  return result.data;
}

/**
 * zod drops a record key named `__proto__`, but it is a legal file name: a
 * backup must not lose it, so it is validated and copied as an own property.
 */
function keepProtoNamedFile(raw: unknown, manifest: Manifest): void {
  const rawFiles = (raw as { files: Record<string, unknown> }).files;
  if (!Object.hasOwn(rawFiles, PROTO_KEY)) return;
  const entry = manifestFileSchema.safeParse(rawFiles[PROTO_KEY]);
  if (!entry.success) {
    throw new ManifestError('invalid-manifest', `The manifest does not have the expected form: files.${PROTO_KEY} is not a file entry`);
  }
  Object.defineProperty(manifest.files, PROTO_KEY, { value: entry.data, enumerable: true, writable: true, configurable: true });
}

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}
