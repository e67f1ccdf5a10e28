// A failure of the local launcher, told as what went wrong and what to do about it.
import { ConfigError } from "../../services/shared/config.js";
import { SupervisorError } from "./supervisor.js";

export class LaunchError extends Error {
  constructor(
    readonly problem: string,
    readonly remedy: string,
    /** What the failing program wrote last, to read before the remedy. */
    readonly output: string[] = [],
  ) {
    super([problem, ...output.map((line) => `  ${line}`), `what to do: ${remedy}`].join("\n"));
    this.name = "LaunchError";
  }
}

/** What npm start prints when it cannot start: every failure we foresee says what to do; anything else its stack. */
export function explainFailure(error: unknown): string {
  if (error instanceof LaunchError || error instanceof ConfigError) return error.message;
  if (error instanceof SupervisorError && (error.code === "exited" || error.code === "unhealthy")) {
    const portVariable = `${error.child.toUpperCase()}_PORT`;
    return new LaunchError(
      error.message.split("\n")[0]!,
      `read ${error.child}'s output; if its port is taken (EADDRINUSE), stop what holds it or set ${portVariable}`,
      error.logs,
    ).message;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
