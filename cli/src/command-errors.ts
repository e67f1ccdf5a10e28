// The errors a command raises itself, beside the SDK's TriggersError: a command line that cannot work (exit 2), a failure it tells (exit 1).

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
 * What was asked was not (all) done, and the command says why in its own words: ids the org has no event of,
 * lines of a file the API refused (printed first with the result), a gateway login could not reach. Exit code 1.
 */
export class CommandFailure extends Error {
  override readonly name = "CommandFailure";
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}
