/**
 * Sealing and opening what a peer stores of a share's manifest — the full
 * `_manifest.json.enc` and the deltas of its journal — in one place, with
 * the checks every reader needs: the names the manifest was written for,
 * the journal's chain, and rollback against the generation this server
 * last wrote. Restore, verify, the key check and `anemone decrypt` read
 * manifests through here; the sync engine writes them through here.
 */
import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { createEncryptStream, decryptBuffer, encryptBuffer, manifestDeltaInfo, manifestInfo, type ManifestContext } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { applyJournal, ManifestChainError, parseManifestDelta, serializeManifestDelta, type ManifestDelta } from './manifest-delta.js';
import { parseManifest, serializeManifest, type Manifest } from './manifest.js';

export interface Sealed {
  bytes: Buffer;
  ctSha256: string;
}

export function sealManifest(userKey: Buffer, manifest: Manifest): Sealed {
  return sealed(encryptBuffer(userKey, manifestInfo(manifest), serializeManifest(manifest)));
}

/**
 * A full manifest whose plaintext JSON comes in pieces (manifest-state.ts),
 * sealed for the share `context` names as the stream is read: a piece is
 * taken only once the one before has gone on, so neither the plaintext nor
 * the sealed bytes are ever held whole (issue 15: 44 MB each at 200,000
 * files, and the join of the sealed chunks). The pieces must not change
 * while the stream is read.
 */
export function sealedManifestStream(userKey: Buffer, context: ManifestContext, plaintext: Iterable<Buffer>): Readable {
  // a failure on the way (the pieces, the encryption) destroys the stream returned, which fails its reader
  return pipeline(Readable.from(plaintext, { objectMode: false }), createEncryptStream(userKey, manifestInfo(context)), () => undefined);
}

export function sealManifestDelta(userKey: Buffer, delta: ManifestDelta): Sealed {
  return sealed(encryptBuffer(userKey, manifestDeltaInfo(delta), serializeManifestDelta(delta)));
}

function sealed(bytes: Buffer): Sealed {
  return { bytes, ctSha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Decrypts and parses a full manifest; throws FormatError (key, names, damage) or ManifestError (form). */
export function openSealedManifest(userKey: Buffer, context: ManifestContext, bytes: Buffer): Manifest {
  return parseManifest(decryptBuffer(userKey, manifestInfo(context), bytes));
}

/** Decrypts and parses one delta; the generation in its stored name must be the one inside. */
export function openSealedDelta(userKey: Buffer, context: ManifestContext, stored: { generation: number; bytes: Buffer }): ManifestDelta {
  const delta = parseManifestDelta(decryptBuffer(userKey, manifestDeltaInfo(context), stored.bytes));
  if (delta.generation !== stored.generation) {
    throw new ManifestChainError(`The manifest delta stored as generation ${stored.generation} holds generation ${delta.generation}`);
  }
  return delta;
}

/** The names a manifest says it belongs to, compared as the key derivation does (NFC). */
export function namesProblem(manifest: Pick<Manifest, 'sourceServer' | 'user' | 'share'>, context: ManifestContext): string | undefined {
  const named = [manifest.sourceServer, manifest.user, manifest.share].map((name) => name.normalize('NFC')).join('/');
  const expected = [context.sourceServer, context.user, context.share].map((name) => name.normalize('NFC')).join('/');
  return named === expected ? undefined : `The peer's manifest names ${named}, not ${expected}`;
}

/** What a peer stores of a manifest: the full one and its journal's deltas. */
export interface StoredManifest {
  base: Buffer;
  deltas: readonly { generation: number; bytes: Buffer }[];
}

/**
 * The current manifest a peer holds, for an online reader: base and journal
 * opened and applied, the names and the rollback checked. Errors are the
 * catalogue's: MANIFEST_UNREADABLE, MANIFEST_CHAIN_BROKEN, MANIFEST_ROLLBACK.
 */
export function openPeerManifest(userKey: Buffer, context: ManifestContext, stored: StoredManifest, lastGeneration: number | undefined): Manifest {
  let manifest: Manifest;
  try {
    const base = openSealedManifest(userKey, context, stored.base);
    manifest = applyJournal(base, stored.deltas.map((delta) => openSealedDelta(userKey, context, delta)));
  } catch (cause) {
    if (cause instanceof ManifestChainError) throw new AnemoneError('MANIFEST_CHAIN_BROKEN', { message: cause.message, cause });
    throw new AnemoneError('MANIFEST_UNREADABLE', { cause });
  }
  const problem = namesProblem(manifest, context);
  // the key is bound to these names already; a manifest naming others was written inconsistently
  if (problem) throw new AnemoneError('MANIFEST_UNREADABLE', { message: problem });
  // a peer serving an older manifest would bring back deleted files or old versions
  if (lastGeneration !== undefined && manifest.generation < lastGeneration) throw rollback(manifest.generation, lastGeneration);
  return manifest;
}

export function rollback(served: number, written: number): AnemoneError {
  return new AnemoneError('MANIFEST_ROLLBACK', {
    message: `The peer served manifest generation ${served}, older than generation ${written} this server last wrote`,
  });
}
