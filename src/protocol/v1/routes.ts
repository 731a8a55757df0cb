import { z } from 'zod';

/**
 * The peer protocol, version 1: every route once, with its schemas and the
 * error codes it may answer. The receiving side (src/incoming) implements a
 * handler per entry; the peer client (src/peer-client) is typed from it;
 * docs/protocol.md documents each route and code (a test keeps them in step).
 *
 * Transport: HTTPS with mutual TLS on the peer's port (its only port, or ANEMONE_PEER_PORT). The client
 * checks the server's certificate against the pinned fingerprint before it
 * sends a byte; the server identifies the source by its client certificate.
 */
export const PROTOCOL_VERSION = 1;
export const SYNC_PREFIX = '/api/sync/v1';

/** Header carrying the SHA-256 (hex) of an uploaded ciphertext; the receiver checks it before keeping the file. */
export const CT_SHA256_HEADER = 'x-anemone-ct-sha256';

/**
 * Header of putManifest: the manifest's generation, as the source says. The
 * peer cannot read the manifest; it keeps this number for its Incoming
 * Backups page only and trusts nothing to it.
 */
export const MANIFEST_GENERATION_HEADER = 'x-anemone-manifest-generation';

/**
 * Header of getManifest, value `start`: this fetch begins a sync run of the
 * share. The peer then removes the objects an earlier run wrote but never
 * committed with a manifest (docs/protocol.md, "Uncommitted objects"). A
 * restore's manifest fetch does not send it.
 */
export const SYNC_RUN_HEADER = 'x-anemone-sync-run';
export const SYNC_RUN_START = 'start';

/**
 * Optional header of getManifest: the generation the source holds a copy
 * of. When the peer's current generation (the last one announced with a
 * manifest or a delta) is that one, it answers 304 with no body. Older
 * peers ignore it and send the manifest.
 */
export const IF_GENERATION_HEADER = 'x-anemone-if-generation';

/**
 * Header of every getManifest answer of a peer that keeps manifest journals:
 * the generations of the deltas it stores beside the manifest, in order,
 * comma-separated (empty when none). Its absence means an older peer: the
 * source then writes full manifests only.
 */
export const MANIFEST_JOURNAL_HEADER = 'x-anemone-manifest-journal';

/** Query of putManifestDelta and getManifestDelta: the generation the delta leads to. */
export const deltaQuery = z.object({ generation: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/** Header of appendUpload: the byte of the object its body starts at, which must be what the peer holds. */
export const UPLOAD_OFFSET_HEADER = 'x-anemone-upload-offset';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/);

export const shareParams = z.object({ user: name, share: name });
export const storedPathQuery = z.object({ path: z.string().min(1).max(4096) });

export const helloResponse = z.object({
  protocolVersion: z.number().int(),
  serverName: z.string(),
  fingerprint: z.string(),
});

export const openSessionBody = z.object({
  sourceServer: name,
  password: z.string().max(1024).optional(),
});
export const openSessionResponse = z.object({
  token: z.string(),
  expiresAt: z.string(),
  serverName: z.string(),
});

export const storedFileSchema = z.object({ path: z.string(), size: z.number().int().nonnegative() });
export const listFilesResponse = z.object({ files: z.array(storedFileSchema) });

export const storedShareSchema = z.object({
  user: z.string(),
  share: z.string(),
  fileCount: z.number().int().nonnegative(),
  bytesUsed: z.number().int().nonnegative(),
  hasManifest: z.boolean(),
});
export const listSharesResponse = z.object({ shares: z.array(storedShareSchema) });

export const deleteFilesBody = z.object({ paths: z.array(z.string().min(1).max(4096)).max(100_000) });
export const deleteFilesResponse = z.object({ deleted: z.number().int().nonnegative() });

export const storedCountResponse = z.object({ stored: z.number().int().nonnegative() });

/** Verification: the peer hashes what it stores, so the source checks it against its manifest without downloading it. */
export const hashFilesBody = z.object({ paths: z.array(z.string().min(1).max(4096)).max(1000) });
export const hashedFileSchema = z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: sha256Hex });
export const hashFilesResponse = z.object({ files: z.array(hashedFileSchema) });

/** A rebuilt server has lost its certificate: it asks for its recovery kit by name, with the server password. */
export const fetchRecoveryKitBody = z.object({ sourceServer: name, password: z.string().min(1).max(1024) });

/** One file inside a batch upload (see `encodeBatchFrame`). */
export const batchItemHeader = z.object({
  path: z.string().min(1).max(4096),
  size: z.number().int().nonnegative(),
  ctSha256: sha256Hex,
});
export type BatchItemHeader = z.infer<typeof batchItemHeader>;

/** Resumable uploads of large objects: the source names the upload (random, 32 hex) and the object's full ciphertext size. */
const uploadId = z.string().regex(/^[0-9a-f]{32}$/);
export const uploadOffsetBody = z.object({ path: z.string().min(1).max(4096), uploadId, size: z.number().int().nonnegative() });
export const uploadOffsetResponse = z.object({ offset: z.number().int().nonnegative() });
export const appendUploadQuery = z.object({ path: z.string().min(1).max(4096), uploadId });
export const appendUploadResponse = z.object({ complete: z.boolean(), offset: z.number().int().nonnegative() });

export type SyncErrorCode =
  | 'PEER_UNAUTHORIZED'
  | 'PEER_FORBIDDEN'
  | 'SOURCE_CERT_MISMATCH'
  | 'CLIENT_CERT_REQUIRED'
  | 'SESSION_INVALID'
  | 'PATH_INVALID'
  | 'HASH_MISMATCH'
  | 'PAYLOAD_TOO_LARGE'
  | 'INSUFFICIENT_STORAGE'
  | 'TOO_MANY_ATTEMPTS'
  | 'NOT_FOUND'
  | 'UPLOAD_OFFSET_MISMATCH'
  | 'VALIDATION_FAILED';

interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /**
   * `tls`: the client certificate only; `session`: a token from openSession too;
   * `password`: the server password in the body, whatever the certificate (fetchRecoveryKit).
   */
  auth: 'tls' | 'session' | 'password';
  summary: string;
  errors: readonly SyncErrorCode[];
}

const sessionErrors = ['SESSION_INVALID', 'PEER_FORBIDDEN', 'CLIENT_CERT_REQUIRED'] as const;

export const syncRoutes = {
  hello: {
    method: 'GET',
    path: `${SYNC_PREFIX}/hello`,
    auth: 'tls',
    summary: 'Who the peer is: protocol version, server name, certificate fingerprint. Needs no password.',
    errors: [],
  },
  openSession: {
    method: 'POST',
    path: `${SYNC_PREFIX}/session`,
    auth: 'tls',
    summary: 'Checks the server password once and returns a session token bound to the client certificate.',
    errors: ['PEER_UNAUTHORIZED', 'PEER_FORBIDDEN', 'SOURCE_CERT_MISMATCH', 'CLIENT_CERT_REQUIRED', 'TOO_MANY_ATTEMPTS', 'VALIDATION_FAILED'],
  },
  listShares: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares`,
    auth: 'session',
    summary: "The shares this source has stored here, with counts and sizes.",
    errors: sessionErrors,
  },
  getManifest: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest`,
    auth: 'session',
    summary: 'The stored `_manifest.json.enc` of a share, as bytes.',
    errors: [...sessionErrors, 'NOT_FOUND'],
  },
  putManifest: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest`,
    auth: 'session',
    summary: 'Replaces the stored manifest atomically (body: the encrypted bytes).',
    errors: [...sessionErrors, 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE'],
  },
  putManifestDelta: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest/delta`,
    auth: 'session',
    summary: 'Stores one encrypted manifest delta at `?generation=` in the journal beside the manifest, atomically; a commit like putManifest.',
    errors: [...sessionErrors, 'NOT_FOUND', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED'],
  },
  getManifestDelta: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest/delta`,
    auth: 'session',
    summary: 'The stored delta of the journal leading to `?generation=`, as bytes.',
    errors: [...sessionErrors, 'NOT_FOUND', 'VALIDATION_FAILED'],
  },
  putFile: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/file`,
    auth: 'session',
    summary: 'Stores one encrypted file at `?path=` (a stored name ending in `.enc`), atomically.',
    errors: [...sessionErrors, 'PATH_INVALID', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE'],
  },
  putBatch: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/batch`,
    auth: 'session',
    summary: 'Stores many small encrypted files in one request; durable as a batch.',
    errors: [...sessionErrors, 'PATH_INVALID', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED'],
  },
  uploadOffset: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/uploads`,
    auth: 'session',
    summary:
      'Creates or finds the resumable upload of a large object (body: stored path, upload id, ciphertext size) and answers the bytes the peer holds of it, fsynced. Another upload id for the path discards the old partial.',
    errors: [...sessionErrors, 'PATH_INVALID', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED'],
  },
  appendUpload: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/uploads/append`,
    auth: 'session',
    summary:
      'Continues a resumable upload (`?path=&uploadId=`) at the `x-anemone-upload-offset` header: the ciphertext from there, then the whole object\'s SHA-256 as a 32-byte trailer. Complete and matching, the object is stored atomically.',
    errors: [...sessionErrors, 'PATH_INVALID', 'NOT_FOUND', 'UPLOAD_OFFSET_MISMATCH', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED'],
  },
  getFile: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/file`,
    auth: 'session',
    summary: 'Streams one stored encrypted file back (for restore).',
    errors: [...sessionErrors, 'PATH_INVALID', 'NOT_FOUND'],
  },
  listFiles: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/files`,
    auth: 'session',
    summary: 'Every stored file of a share with its size (for Force Sync and verification).',
    errors: sessionErrors,
  },
  deleteFiles: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/delete`,
    auth: 'session',
    summary: 'Deletes stored files (body: their stored paths).',
    errors: [...sessionErrors, 'PATH_INVALID', 'VALIDATION_FAILED'],
  },
  hashFiles: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/hashes`,
    auth: 'session',
    summary: 'The size and SHA-256 of stored files, computed by the peer (body: at most 1,000 stored paths); paths not stored are left out.',
    errors: [...sessionErrors, 'PATH_INVALID', 'VALIDATION_FAILED'],
  },
  putRecoveryKit: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/recovery-kit`,
    auth: 'session',
    summary: "Keeps the source's recovery kit (sealed by its passphrase; the peer cannot open it), replacing the previous copy atomically.",
    errors: [...sessionErrors, 'PATH_INVALID', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED'],
  },
  fetchRecoveryKit: {
    method: 'POST',
    path: `${SYNC_PREFIX}/recovery-kit/fetch`,
    auth: 'password',
    summary: "Hands a rebuilt source its recovery kit, by name, against the server password alone (the source's certificate is gone with it).",
    errors: ['PEER_UNAUTHORIZED', 'PEER_FORBIDDEN', 'TOO_MANY_ATTEMPTS', 'NOT_FOUND', 'VALIDATION_FAILED'],
  },
} as const satisfies Record<string, RouteEntry>;

export type SyncRouteName = keyof typeof syncRoutes;

/** Fills `:user` and `:share` of a route path. */
export function routePath(route: SyncRouteName, params: { user?: string; share?: string } = {}): string {
  return syncRoutes[route].path
    .replace(':user', encodeURIComponent(params.user ?? ''))
    .replace(':share', encodeURIComponent(params.share ?? ''));
}

/** Limits both ends agree on. */
export const limits = {
  /** Files at most this large (ciphertext) travel in batches rather than one request each. */
  batchFileMaxBytes: 1024 * 1024 + 28,
  /** A batch closes at this many bytes or files, whichever comes first. */
  batchMaxBytes: 16 * 1024 * 1024,
  batchMaxFiles: 1000,
  /** A manifest is JSON; this bounds what a receiver buffers for it. */
  manifestMaxBytes: 512 * 1024 * 1024,
  /** A recovery kit is a few kilobytes a user; this bounds what a peer keeps and a client reads. */
  recoveryKitMaxBytes: 16 * 1024 * 1024,
  /** Paths per hashFiles request. */
  hashFilesMaxPaths: 1000,
} as const;
