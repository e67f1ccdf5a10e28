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

/** What to do when a service cannot start for a reason it named (see services/shared/start-failure.ts). */
const remedies: Record<string, (service: string) => string> = {
  ConfigError: () => "correct that variable (the README's Configuration table says what each one takes)",
  SchemaBehind: () => "apply the migrations with `node dist/services/run.js migrate`, or unset MIGRATE_ON_START",
  UnreadableSecret: () =>
    "this database holds webhook signing secrets sealed under another SIGNING_SECRETS_KEY: set SIGNING_SECRETS_KEY to " +
    "the key that sealed them, or DATABASE_URL to another database",
  EADDRINUSE: (service) => {
    const upper = service.toUpperCase();
    return `stop what holds that port (another npm start?), or set ${upper}_PORT and ${upper}_ADMIN_PORT to free ones`;
  },
};

/** What npm start prints when it cannot start: every failure we foresee says what to do; anything else its stack. */
export function explainFailure(error: unknown): string {
  if (error instanceof LaunchError || error instanceof ConfigError) return error.message;
  if (error instanceof SupervisorError && (error.code === "exited" || error.code === "unhealthy")) {
    const failure = namedFailure(error.logs);
    const remedy = failure && remedies[failure.reason];
    if (failure && remedy) return new LaunchError(`${error.child} cannot start: ${failure.message}`, remedy(error.child)).message;
    return new LaunchError(error.message.split("\n")[0]!, `read ${error.child}'s output above`, error.logs).message;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The reason a service gave for not starting: the last line of its output that is a log entry carrying one. */
function namedFailure(lines: string[]): { reason: string; message: string } | undefined {
  for (const line of [...lines].reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { reason?: unknown; msg?: unknown };
      if (typeof entry.reason === "string") return { reason: entry.reason, message: String(entry.msg) };
    } catch {
      // Not a log entry of ours.
    }
  }
  return undefined;
}
