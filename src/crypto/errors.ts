/** Why an encrypted stream was refused; each code has a message a person can act on. */
export type FormatErrorCode =
  | 'truncated'
  | 'auth-failed'
  | 'trailing-data'
  | 'empty-final-chunk'
  | 'too-many-chunks';

export class FormatError extends Error {
  readonly code: FormatErrorCode;

  constructor(code: FormatErrorCode, message: string) {
    super(message);
    this.name = 'FormatError';
    this.code = code;
  }
}

export type KeyWrapErrorCode = 'malformed' | 'unwrap-failed';

export class KeyWrapError extends Error {
  readonly code: KeyWrapErrorCode;

  constructor(code: KeyWrapErrorCode, message: string) {
    super(message);
    this.name = 'KeyWrapError';
    this.code = code;
  }
}

/** `busy`: too many hashes already waiting; the caller answers "try again shortly" (429). */
export type PasswordHashErrorCode = 'malformed-hash' | 'busy';

export class PasswordHashError extends Error {
  readonly code: PasswordHashErrorCode;

  constructor(code: PasswordHashErrorCode, message: string) {
    super(message);
    this.name = 'PasswordHashError';
    this.code = code;
  }
}
