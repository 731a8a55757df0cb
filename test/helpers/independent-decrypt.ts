import { createDecipheriv, hkdfSync } from 'node:crypto';

/**
 * A second, deliberately naive implementation of FORMAT.md v1 (whole buffers,
 * no streams, nothing shared with src/crypto), so the tests check the stored
 * bytes against the specification rather than against our own encoder.
 */
const CHUNK = 1_048_576;

function field(value: string): Buffer {
  const bytes = Buffer.from(value.normalize('NFC'), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function independentDecrypt(
  userKey: Buffer,
  context: { sourceServer: string; user: string; share: string; relPath?: string },
  data: Buffer,
  manifestLabel: 'anemone/v1/manifest' | 'anemone/v1/manifest-delta' = 'anemone/v1/manifest',
): Buffer {
  const label = context.relPath === undefined ? manifestLabel : 'anemone/v1/file';
  const parts = [context.sourceServer, context.user, context.share, ...(context.relPath === undefined ? [] : [context.relPath])];
  const info = Buffer.concat([Buffer.from(label), Buffer.from([0]), ...parts.map(field)]);
  if (data.length < 28) throw new Error('too short');
  const salt = data.subarray(0, 12);
  const key = Buffer.from(hkdfSync('sha256', userKey, salt, info, 32));
  const body = data.subarray(12);
  const chunkCount = Math.max(1, Math.ceil(body.length / (CHUNK + 16)));
  const plain: Buffer[] = [];
  for (let index = 0; index < chunkCount; index++) {
    const piece = body.subarray(index * (CHUNK + 16), Math.min(body.length, (index + 1) * (CHUNK + 16)));
    const final = index === chunkCount - 1;
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(index, 7);
    nonce[11] = final ? 1 : 0;
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    decipher.setAuthTag(piece.subarray(piece.length - 16));
    plain.push(decipher.update(piece.subarray(0, piece.length - 16)), decipher.final());
  }
  return Buffer.concat(plain);
}

/** The manifest a peer folder describes: `_manifest.json.enc`, then the deltas of `_manifest.d/` above its generation, in order (docs/format.md). */
export function independentManifest(userKey: Buffer, context: { sourceServer: string; user: string; share: string }, stored: Map<string, Buffer>): { generation: number; files: Record<string, { size: number; sha256: string; ctSha256: string }> } {
  const manifestBytes = stored.get('_manifest.json.enc');
  if (!manifestBytes) throw new Error('the peer holds no manifest');
  const manifest = JSON.parse(independentDecrypt(userKey, context, manifestBytes).toString());
  const deltas = [...stored.entries()]
    .filter(([name]) => /^_manifest\.d\/\d+\.json\.enc$/.test(name))
    .map(([, bytes]) => JSON.parse(independentDecrypt(userKey, context, bytes, 'anemone/v1/manifest-delta').toString()))
    .filter((delta) => delta.generation > manifest.generation)
    .sort((x, y) => x.generation - y.generation);
  for (const delta of deltas) {
    if (delta.baseGeneration !== manifest.generation) throw new Error(`delta ${delta.generation} does not follow generation ${manifest.generation}`);
    for (const key of delta.deleted) delete manifest.files[key];
    Object.assign(manifest.files, delta.files);
    manifest.generation = delta.generation;
  }
  return manifest;
}
