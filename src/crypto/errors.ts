import { CodedError } from './coded-error.js';

/** Why an encrypted stream was refused; each code has a message a person can act on. */
export type FormatErrorCode =
  | 'truncated'
  | 'auth-failed'
  | 'trailing-data'
  | 'empty-final-chunk'
  | 'too-many-chunks';

export class FormatError extends CodedError<FormatErrorCode> {
  override readonly name = 'FormatError';
}

export type KeyWrapErrorCode = 'malformed' | 'unwrap-failed';

export class KeyWrapError extends CodedError<KeyWrapErrorCode> {
  override readonly name = 'KeyWrapError';
}

/** `busy`: too many hashes already waiting; the caller answers "try again shortly" (429). */
export type PasswordHashErrorCode = 'malformed-hash' | 'busy';

export class PasswordHashError extends CodedError<PasswordHashErrorCode> {
  override readonly name = 'PasswordHashError';
}
