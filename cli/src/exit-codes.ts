// The command's exit codes: what a script can tell apart without reading the output.
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** The API refused or failed the request, or could not be reached; or some of a file's lines were refused. */
  apiError: 1,
  /** The command line cannot work: a bad flag or value, bad JSON, no key or URL. Nothing was sent. */
  usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
