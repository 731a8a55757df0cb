import { CodedError } from '../crypto/index.js';

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
export class DecryptError extends CodedError<DecryptErrorCode> {
  override readonly name = 'DecryptError';
}
