import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { addAbortSignal } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { encryptedLength, SALT_LENGTH, type FileContext } from '../crypto/index.js';
import type { FsPath } from '../manifest/file-keys.js';
import { openShareFile, type ShareRoot } from '../scan/open-share-file.js';
import { EncryptedFileStream, FileChangedError, ShareFileSkippedError } from './encrypt-file.js';
import type { OnSent, PeerSession } from './types.js';

/** What the sender keeps per file being uploaded to one peer (db: resumable_uploads), bound to a share and a peer. */
export interface ResumeRecord {
  relPath: string;
  uploadId: string;
  salt: Buffer;
  size: number;
  mtimeMs: number;
  inode: string;
  startedAt: string;
}

export interface ResumeRecords {
  find(relPath: string): ResumeRecord | undefined;
  save(record: ResumeRecord): void;
  remove(relPath: string): void;
}

/** The records of one share and one peer, over the database's table. */
export function resumeRecordsFor(
  repo: { find(shareId: number, peerId: number, relPath: string): ResumeRecord | undefined; save(shareId: number, peerId: number, row: ResumeRecord): void; remove(shareId: number, peerId: number, relPath: string): void },
  shareId: number,
  peerId: number,
): ResumeRecords {
  return {
    find: (relPath) => repo.find(shareId, peerId, relPath),
    save: (record) => repo.save(shareId, peerId, record),
    remove: (relPath) => repo.remove(shareId, peerId, relPath),
  };
}

/** How a dropped upload is tried again inside one run: `attempts` more tries, the wait doubling from `firstDelayMs` to `maxDelayMs`. */
export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** A few tries over a few minutes: 5, 10, 20, 40, 60 s (2 min 15 s in all), for a home link that drops and comes back. */
export const DEFAULT_UPLOAD_RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 5_000, maxDelayMs: 60_000 };

/** One retry of a large upload, for the run's log. */
export interface UploadRetry {
  relPath: string;
  attempt: number;
  code: string;
  /** The byte of the ciphertext the failed try started from (what the peer held then). */
  fromByte: number;
  delayMs: number;
}

export interface ResumableUploadDeps {
  records: ResumeRecords;
  retry: RetryPolicy;
  onRetry(retry: UploadRetry): void;
  now(): Date;
}

/**
 * Failures of the link, not of the file or of the peer's judgement: worth
 * trying again from the peer's offset. A session that expired, an upload the
 * peer no longer knows, an offset that moved: asking for the offset again
 * settles them too.
 */
const RETRYABLE = new Set([
  'PEER_CONNECTION_LOST',
  'PEER_CONNECTION_REFUSED',
  'PEER_TIMEOUT',
  'PEER_UNREACHABLE',
  'SESSION_INVALID',
  'PEER_NOT_FOUND',
  'UPLOAD_OFFSET_MISMATCH',
]);

function retryable(error: unknown): boolean {
  const { code, peerCode } = (error ?? {}) as { code?: unknown; peerCode?: unknown };
  if (peerCode === 'UPLOAD_OFFSET_MISMATCH' || peerCode === 'NOT_FOUND') return true;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** The peer answered but the upload stopped short (the connection dropped as the body ended): ask the offset again. */
class UploadIncompleteError extends Error {
  readonly code = 'PEER_CONNECTION_LOST';
  constructor(held: number) {
    super(`The peer holds ${held} bytes of the upload; it continues from there`);
  }
}

/**
 * Sends one large file as a resumable upload, or returns undefined when the
 * peer does not offer them (an older version: the caller sends it whole). The
 * file version's salt and upload id are kept until the peer has the object,
 * so a later try — in this run, after a drop, or in a later run, after a
 * restart — regenerates the very same ciphertext and sends only what the peer
 * lacks. A source file whose size, mtime or inode changed starts a new upload
 * with a new salt; the peer drops the old partial when it sees the new id.
 */
export async function sendResumable(
  deps: ResumableUploadDeps,
  session: PeerSession,
  file: { user: string; share: string; storedPath: string; root: ShareRoot; fsRelPath: FsPath; relPath: string; size: number; readPastCache: boolean },
  userKey: Buffer,
  context: FileContext,
  onSent: OnSent,
  signal: AbortSignal,
): Promise<{ sha256: string; ctSha256: string; ciphertextBytes: number } | undefined> {
  const { uploadOffset, appendUpload } = session;
  if (!uploadOffset || !appendUpload) return undefined;
  const identity = await fileIdentity(file.root, file.fsRelPath);
  if (identity.size !== file.size) throw new FileChangedError(file.fsRelPath);
  let record = deps.records.find(file.relPath);
  if (!record || record.size !== identity.size || record.mtimeMs !== identity.mtimeMs || record.inode !== identity.inode) {
    record = { relPath: file.relPath, uploadId: randomBytes(16).toString('hex'), salt: randomBytes(SALT_LENGTH), ...identity, startedAt: deps.now().toISOString() };
    deps.records.save(record);
  }
  const ciphertextBytes = encryptedLength(file.size);
  let held = 0;
  let firstOffset: number | undefined;
  for (let attempt = 0; ; attempt++) {
    let stream: EncryptedFileStream | undefined;
    try {
      const offset = await uploadOffset.call(session, file.user, file.share, file.storedPath, record.uploadId, ciphertextBytes);
      if (offset === undefined) return undefined;
      held = offset;
      firstOffset ??= offset;
      const opened = new EncryptedFileStream(file.root, file.fsRelPath, userKey, context, file.size, { salt: record.salt, startAt: offset }, file.readPastCache);
      stream = opened;
      // the session's requests end only with the run's signal: a failed batch or sibling ends this try through its body
      addAbortSignal(signal, opened);
      // progress counts the whole object: a resumed try reports from its offset on, so nothing counts twice
      const answer = await appendUpload.call(
        session,
        file.user,
        file.share,
        file.storedPath,
        { uploadId: record.uploadId, offset, size: ciphertextBytes },
        opened,
        () => opened.ciphertextDigest(),
        (sent) => onSent(offset + sent, ciphertextBytes),
      );
      if (!answer.complete) throw new UploadIncompleteError(answer.offset);
      if (opened.bytes !== file.size) throw new FileChangedError(file.fsRelPath);
      deps.records.remove(file.relPath);
      // this run's share of the object: what an earlier run left on the peer was not sent again
      return { sha256: opened.digestHex(), ctSha256: opened.ciphertextDigest().toString('hex'), ciphertextBytes: ciphertextBytes - (firstOffset ?? 0) };
    } catch (caught) {
      // the request may have failed before it read the stream: its file is closed here
      stream?.destroy();
      const error = stream?.readError ?? caught;
      // the file's own problem: a changed file starts over with a new salt next time
      if (error instanceof FileChangedError || error instanceof ShareFileSkippedError) {
        deps.records.remove(file.relPath);
        throw error;
      }
      if (signal.aborted || attempt >= deps.retry.attempts || !retryable(error)) throw error;
      const delayMs = Math.min(deps.retry.firstDelayMs * 2 ** attempt, deps.retry.maxDelayMs);
      deps.onRetry({ relPath: file.relPath, attempt: attempt + 1, code: String((error as { code?: unknown }).code), fromByte: held, delayMs });
      await delay(delayMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw error;
    }
  }
}

const fstat = promisify(fs.fstat);
const close = promisify(fs.close);

/** Size, mtime and inode of a share file, read through the same checks as every read of the share. */
async function fileIdentity(root: ShareRoot, relPath: FsPath): Promise<{ size: number; mtimeMs: number; inode: string }> {
  const opened = await openShareFile(root, relPath);
  if ('skip' in opened) throw new ShareFileSkippedError(relPath, opened.skip, opened.detail);
  try {
    const stats = await fstat(opened.fd, { bigint: true });
    return { size: Number(stats.size), mtimeMs: Number(stats.mtimeNs / 1000n) / 1000, inode: `${stats.dev}:${stats.ino}` };
  } finally {
    await close(opened.fd);
  }
}
