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
/** Every version of the protocol lives under here, as `/api/sync/v<N>`. */
export const SYNC_ROOT = '/api/sync';
export const SYNC_PREFIX = `${SYNC_ROOT}/v${PROTOCOL_VERSION}`;

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

/**
 * Header of every getManifest answer of a peer that tells incarnations: the
 * share's current incarnation, a number that grows each time the peer's
 * administrator deletes the share's backups. The source sends it back on its
 * writes of the run (putFile, putBatch, appendUpload, putManifest,
 * putManifestDelta); a write of an earlier incarnation is refused with 409
 * BACKUP_RESET_ON_PEER, so no manifest names files the deletion took. Older
 * peers send none, and the source then sends none either.
 */
export const SHARE_INCARNATION_HEADER = 'x-anemone-share-incarnation';

/** Query of putManifestDelta and getManifestDelta: the generation the delta leads to. */
export const deltaQuery = z.object({ generation: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/**
 * History (a peer keeps what sources replace or delete, docs/protocol.md
 * "History"). Optional headers of putManifest and putManifestDelta: the
 * plaintext file count and bytes of the whole state the manifest describes;
 * the peer shows them with the snapshot and trusts nothing to them.
 */
export const MANIFEST_FILES_HEADER = 'x-anemone-manifest-files';
export const MANIFEST_BYTES_HEADER = 'x-anemone-manifest-bytes';

/** Optional query of getFile: the version of the stored path with this ciphertext SHA-256 (current or kept). */
export const versionedFileQuery = z.object({ path: z.string().min(1).max(4096), ctSha256: z.string().regex(/^[0-9a-f]{64}$/).optional() });
/** Optional query of getManifest: the snapshot at this generation (its manifest, and its journal in the header). */
export const manifestAtQuery = z.object({ generation: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional() });
/** getManifestDelta's query: with `snapshot`, the delta of that snapshot's journal (it may since have been replaced). */
export const deltaAtQuery = z.object({
  generation: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  snapshot: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});
export const snapshotSchema = z.object({
  generation: z.number().int().positive(),
  committedAt: z.string(),
  fileCount: z.number().int().nonnegative().nullable(),
  bytes: z.number().int().nonnegative().nullable(),
});
/** listSnapshots: the snapshots the peer keeps of a share, newest first. */
export const listSnapshotsResponse = z.object({ snapshots: z.array(snapshotSchema) });

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
  | 'INCOMING_STORAGE_UNAVAILABLE'
  | 'SOURCE_QUOTA_EXCEEDED'
  | 'TOO_MANY_ATTEMPTS'
  | 'NOT_FOUND'
  | 'UPLOAD_OFFSET_MISMATCH'
  | 'BACKUP_RESET_ON_PEER'
  | 'VALIDATION_FAILED';

/** A request or answer body that is not JSON: `bytes` is read whole (bounded), `stream` streams; `none`: no body. */
export type RawBody = 'bytes' | 'stream' | 'none';

export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /**
   * `tls`: the client certificate only; `session`: a token from openSession too;
   * `password`: the server password in the body, whatever the certificate (fetchRecoveryKit).
   */
  auth: 'tls' | 'session' | 'password';
  summary: string;
  /** The path's `:user/:share`, when it has them. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The request body: a JSON schema, or raw bytes (`application/octet-stream`). */
  body: z.ZodType | RawBody;
  /** The success answer's body: a JSON schema, or raw bytes. */
  response: z.ZodType | RawBody;
  /** The `x-anemone-*` headers (and the standard ones the route gives a meaning) a request may carry. */
  requestHeaders: readonly string[];
  /** The headers an answer carries beside the standard ones. */
  responseHeaders: readonly string[];
  errors: readonly SyncErrorCode[];
}

const sessionErrors = ['SESSION_INVALID', 'PEER_FORBIDDEN', 'CLIENT_CERT_REQUIRED'] as const;
/** Any route that reads or writes the stored backups: the peer's disk or bucket failed under it (503). */
const STORAGE_FAILED = 'INCOMING_STORAGE_UNAVAILABLE';
/** Every session route carries its token as `authorization: Bearer <token>`. */
const AUTHORIZATION = 'authorization';

export const syncRoutes = {
  hello: {
    method: 'GET',
    path: `${SYNC_PREFIX}/hello`,
    auth: 'tls',
    summary: 'Who the peer is: protocol version, server name, certificate fingerprint. Needs no password.',
    body: 'none',
    response: helloResponse,
    requestHeaders: [],
    responseHeaders: [],
    errors: [],
  },
  openSession: {
    method: 'POST',
    path: `${SYNC_PREFIX}/session`,
    auth: 'tls',
    summary: 'Checks the server password once and returns a session token bound to the client certificate.',
    body: openSessionBody,
    response: openSessionResponse,
    requestHeaders: [],
    responseHeaders: ['retry-after', 'www-authenticate'],
    errors: ['PEER_UNAUTHORIZED', 'PEER_FORBIDDEN', 'SOURCE_CERT_MISMATCH', 'CLIENT_CERT_REQUIRED', 'TOO_MANY_ATTEMPTS', 'VALIDATION_FAILED'],
  },
  listShares: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares`,
    auth: 'session',
    summary: "The shares this source has stored here, with counts and sizes.",
    body: 'none',
    response: listSharesResponse,
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: sessionErrors,
  },
  getManifest: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest`,
    auth: 'session',
    summary: 'The stored `_manifest.json.enc` of a share, as bytes; with `?generation=`, the full manifest of that kept snapshot (its journal in the header).',
    params: shareParams,
    query: manifestAtQuery,
    body: 'none',
    response: 'bytes',
    requestHeaders: [AUTHORIZATION, SYNC_RUN_HEADER, IF_GENERATION_HEADER],
    responseHeaders: [MANIFEST_JOURNAL_HEADER, SHARE_INCARNATION_HEADER],
    errors: [...sessionErrors, 'NOT_FOUND', STORAGE_FAILED],
  },
  putManifest: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest`,
    auth: 'session',
    summary: 'Replaces the stored manifest atomically (body: the encrypted bytes).',
    params: shareParams,
    body: 'bytes',
    response: 'none',
    requestHeaders: [AUTHORIZATION, SHARE_INCARNATION_HEADER, CT_SHA256_HEADER, MANIFEST_GENERATION_HEADER, MANIFEST_FILES_HEADER, MANIFEST_BYTES_HEADER],
    responseHeaders: [],
    errors: [...sessionErrors, 'BACKUP_RESET_ON_PEER', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', STORAGE_FAILED],
  },
  putManifestDelta: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest/delta`,
    auth: 'session',
    summary: 'Stores one encrypted manifest delta at `?generation=` in the journal beside the manifest, atomically; a commit like putManifest.',
    params: shareParams,
    query: deltaQuery,
    body: 'bytes',
    response: 'none',
    requestHeaders: [AUTHORIZATION, SHARE_INCARNATION_HEADER, CT_SHA256_HEADER, MANIFEST_FILES_HEADER, MANIFEST_BYTES_HEADER],
    responseHeaders: [],
    errors: [...sessionErrors, 'BACKUP_RESET_ON_PEER', 'NOT_FOUND', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  getManifestDelta: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/manifest/delta`,
    auth: 'session',
    summary: 'The stored delta of the journal leading to `?generation=`, as bytes; with `?snapshot=`, the delta of that kept snapshot\'s journal.',
    params: shareParams,
    query: deltaAtQuery,
    body: 'none',
    response: 'bytes',
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: [...sessionErrors, 'NOT_FOUND', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  putFile: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/file`,
    auth: 'session',
    summary: 'Stores one encrypted file at `?path=` (a stored name ending in `.enc`), atomically.',
    params: shareParams,
    query: storedPathQuery,
    body: 'stream',
    response: 'none',
    requestHeaders: [AUTHORIZATION, SHARE_INCARNATION_HEADER, CT_SHA256_HEADER],
    responseHeaders: [],
    errors: [...sessionErrors, 'BACKUP_RESET_ON_PEER', 'PATH_INVALID', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'SOURCE_QUOTA_EXCEEDED', STORAGE_FAILED],
  },
  putBatch: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/batch`,
    auth: 'session',
    summary: 'Stores many small encrypted files in one request; durable as a batch.',
    params: shareParams,
    body: 'stream',
    response: storedCountResponse,
    requestHeaders: [AUTHORIZATION, SHARE_INCARNATION_HEADER],
    responseHeaders: [],
    errors: [...sessionErrors, 'BACKUP_RESET_ON_PEER', 'PATH_INVALID', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'SOURCE_QUOTA_EXCEEDED', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  uploadOffset: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/uploads`,
    auth: 'session',
    summary:
      'Creates or finds the resumable upload of a large object (body: stored path, upload id, ciphertext size) and answers the bytes the peer holds of it, fsynced. Another upload id for the path discards the old partial.',
    params: shareParams,
    body: uploadOffsetBody,
    response: uploadOffsetResponse,
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: [...sessionErrors, 'PATH_INVALID', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'SOURCE_QUOTA_EXCEEDED', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  appendUpload: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/shares/:user/:share/uploads/append`,
    auth: 'session',
    summary:
      'Continues a resumable upload (`?path=&uploadId=`) at the `x-anemone-upload-offset` header: the ciphertext from there, then the whole object\'s SHA-256 as a 32-byte trailer. Complete and matching, the object is stored atomically.',
    params: shareParams,
    query: appendUploadQuery,
    body: 'stream',
    response: appendUploadResponse,
    requestHeaders: [AUTHORIZATION, SHARE_INCARNATION_HEADER, UPLOAD_OFFSET_HEADER],
    responseHeaders: [],
    errors: [...sessionErrors, 'BACKUP_RESET_ON_PEER', 'PATH_INVALID', 'NOT_FOUND', 'UPLOAD_OFFSET_MISMATCH', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  getFile: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/file`,
    auth: 'session',
    summary: 'Streams one stored encrypted file back (for restore); with `?ctSha256=`, that version of it, current or kept.',
    params: shareParams,
    query: versionedFileQuery,
    body: 'none',
    response: 'stream',
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: [...sessionErrors, 'PATH_INVALID', 'NOT_FOUND', STORAGE_FAILED],
  },
  listSnapshots: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/snapshots`,
    auth: 'session',
    summary: 'The snapshots the peer keeps of a share (generation, commit time, announced totals), newest first.',
    params: shareParams,
    body: 'none',
    response: listSnapshotsResponse,
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: sessionErrors,
  },
  listFiles: {
    method: 'GET',
    path: `${SYNC_PREFIX}/shares/:user/:share/files`,
    auth: 'session',
    summary: 'Every stored file of a share with its size (for Force Sync and verification).',
    params: shareParams,
    body: 'none',
    response: listFilesResponse,
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: [...sessionErrors, STORAGE_FAILED],
  },
  deleteFiles: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/delete`,
    auth: 'session',
    summary: 'Deletes stored files (body: their stored paths).',
    params: shareParams,
    body: deleteFilesBody,
    response: deleteFilesResponse,
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: [...sessionErrors, 'PATH_INVALID', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  hashFiles: {
    method: 'POST',
    path: `${SYNC_PREFIX}/shares/:user/:share/hashes`,
    auth: 'session',
    summary: 'The size and SHA-256 of stored files, computed by the peer (body: at most 1,000 stored paths); paths not stored are left out.',
    params: shareParams,
    body: hashFilesBody,
    response: hashFilesResponse,
    requestHeaders: [AUTHORIZATION],
    responseHeaders: [],
    errors: [...sessionErrors, 'PATH_INVALID', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  putRecoveryKit: {
    method: 'PUT',
    path: `${SYNC_PREFIX}/recovery-kit`,
    auth: 'session',
    summary: "Keeps the source's recovery kit (sealed by its passphrase; the peer cannot open it), replacing the previous copy atomically.",
    body: 'bytes',
    response: 'none',
    requestHeaders: [AUTHORIZATION, CT_SHA256_HEADER],
    responseHeaders: [],
    errors: [...sessionErrors, 'PATH_INVALID', 'HASH_MISMATCH', 'PAYLOAD_TOO_LARGE', 'INSUFFICIENT_STORAGE', 'VALIDATION_FAILED', STORAGE_FAILED],
  },
  fetchRecoveryKit: {
    method: 'POST',
    path: `${SYNC_PREFIX}/recovery-kit/fetch`,
    auth: 'password',
    summary: "Hands a rebuilt source its recovery kit, by name, against the server password alone (the source's certificate is gone with it).",
    body: fetchRecoveryKitBody,
    response: 'bytes',
    requestHeaders: [],
    responseHeaders: ['retry-after', 'www-authenticate'],
    errors: ['PEER_UNAUTHORIZED', 'PEER_FORBIDDEN', 'TOO_MANY_ATTEMPTS', 'NOT_FOUND', 'VALIDATION_FAILED', STORAGE_FAILED],
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
