export type DecryptErrorCode =
  | 'missing'
  | 'not-a-file'
  | 'damaged'
  | 'checksum-mismatch'
  | 'unsafe-path'
  | 'bad-manifest'
  | 'read-failed'
  | 'write-failed';

/** A failure of the offline decryption, worded for the person running it. */
export class DecryptError extends Error {
  readonly code: DecryptErrorCode;

  constructor(code: DecryptErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecryptError';
    this.code = code;
  }
}
