import { AnemoneError, type ErrorCode } from '../errors/catalogue.js';
import { isCode } from './fs-errors.js';

/** What s3-objects.ts makes of a bucket that fails (after the SDK's own retries). */
const OBJECT_STORE_FAILURES: ReadonlySet<ErrorCode> = new Set([
  'OBJECT_STORE_UNAVAILABLE',
  'OBJECT_STORE_CREDENTIALS_REJECTED',
  'OBJECT_STORE_ACCESS_DENIED',
  'OBJECT_STORE_BUCKET_MISSING',
  'OBJECT_STORE_CLOCK_SKEW',
]);

/**
 * A disk that fails under the store: an I/O error, or a file system the
 * kernel remounted read-only after one. A full disk is not among them: it
 * has its own answer (507 INSUFFICIENT_STORAGE, fs-errors.ts).
 */
const DISK_FAILURES = ['EIO', 'EROFS'];

/**
 * The incoming store's storage failing, as the one answer a source reads
 * (503 INCOMING_STORAGE_UNAVAILABLE): the storage's own words (which key was
 * refused, the endpoint, the errno) stay in this server's log through the
 * cause, for its administrator. Undefined for any other error.
 */
export function asIncomingStorageUnavailable(error: unknown): AnemoneError | undefined {
  const storageFailed = error instanceof AnemoneError ? OBJECT_STORE_FAILURES.has(error.code) : isCode(error, ...DISK_FAILURES);
  return storageFailed ? new AnemoneError('INCOMING_STORAGE_UNAVAILABLE', { cause: error }) : undefined;
}
