// The errors a command raises itself: a command line that cannot work (exit 2), and a result the API gave that is a failure (exit 1).

/** A bad flag or value, bad JSON, no key or URL: nothing was sent. Exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** What to do about it, a sentence the user can act on. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

/**
 * The API answered, but not all of what was asked was done: ids it has no event of, lines of a file it refused.
 * The result is printed first; this makes the exit code 1. Exit code 1.
 */
export class PartialFailure extends Error {
  override readonly name = "PartialFailure";
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}
