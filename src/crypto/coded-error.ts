/**
 * An error with a code beside its message: the code is what callers branch
 * on (and map to the catalogue), the message what a person reads.
 */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
