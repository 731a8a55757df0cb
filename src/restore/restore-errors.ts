/** Failures of a restore in the API's terms: a catalogue code, what happened, what to do. */
import { FormatError } from '../crypto/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { PeerError } from '../peer-client/index.js';

/**
 * A peer's failure. The peer, not this server, failed, so it is a 502 with
 * the peer client's own words (which already say what to check) — never the
 * 401/403 of the peer protocol, which a browser would take for its own session.
 */
export function fromPeerError(error: PeerError, relPath?: string): AnemoneError {
  if (error.code === 'PEER_NOT_PINNED') return new AnemoneError('PEER_NOT_PINNED', { message: error.message, hint: error.hint, cause: error });
  if (error.code === 'PEER_NOT_FOUND' && relPath !== undefined) {
    return new AnemoneError('RESTORE_FILE_MISSING', { message: `"${relPath}" is missing on the peer; it was not restored`, cause: error });
  }
  return new AnemoneError('RESTORE_PEER_FAILED', { message: error.message, hint: error.hint, cause: error });
}

export function verifyFailed(relPath: string, why: string, cause?: unknown): AnemoneError {
  return new AnemoneError('RESTORE_VERIFY_FAILED', {
    message: `"${relPath}" on the peer is damaged or was altered (${why}); it was not restored`,
    cause,
  });
}

/** Any error met while reading one file back from a peer, as an AnemoneError naming the file. */
export function restoreFailure(error: unknown, relPath: string): unknown {
  if (error instanceof AnemoneError) return error;
  if (error instanceof PeerError) return fromPeerError(error, relPath);
  if (error instanceof FormatError) return verifyFailed(relPath, lowerFirst(error.message), error);
  return error;
}

/** A file system error while writing a restored file. */
export function writeFailed(relPath: string, error: unknown): AnemoneError {
  const fsError = error as NodeJS.ErrnoException;
  const noSpace = fsError.code === 'ENOSPC' || fsError.code === 'EDQUOT';
  return new AnemoneError('RESTORE_WRITE_FAILED', {
    message: `"${relPath}" could not be written (${fsError.code ?? fsError.message ?? String(error)})`,
    ...(noSpace ? { hint: 'The disk of the share is full: free space, then restore again.' } : {}),
    cause: error,
  });
}

export function unsafePath(relPath: string, why: string): AnemoneError {
  return new AnemoneError('RESTORE_UNSAFE_PATH', { message: `"${relPath}" was not restored: ${why}` });
}

/** Errors that say the peer as a whole failed (not one file): the rest of that share is not tried against it. */
export function isPeerWideFailure(error: unknown): boolean {
  return error instanceof AnemoneError && (error.code === 'RESTORE_PEER_FAILED' || error.code === 'PEER_NOT_PINNED');
}

/** code, message and hint of any error, for a job's error list and the log. */
export function describeRestoreError(error: unknown): { code: string; message: string; hint: string } {
  if (error instanceof AnemoneError) return { code: error.code, message: error.message, hint: error.hint };
  const internal = new AnemoneError('INTERNAL');
  return { code: internal.code, message: `${internal.message}: ${error instanceof Error ? error.message : String(error)}`, hint: internal.hint };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
