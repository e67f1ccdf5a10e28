// How a process ends on an error nothing caught: a start it knows cannot succeed says why in one line, and that restarting will not help.
import type { Logger } from "./logger.js";

/** EX_CONFIG of sysexits.h: the process cannot run as it is set up, so starting it again as it is changes nothing. */
export const cannotStartExitCode = 78;

/** The errors that stop a start for a reason the service knows: a setting, the schema, the signing secrets key. */
const knownReasons = new Set(["ConfigError", "SchemaBehind", "UnreadableSecret"]);

/** The reason a start failed, when it is one of those or a port already taken; undefined for anything else. */
function startFailureReason(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") return "EADDRINUSE";
  return knownReasons.has(err.name) ? err.name : undefined;
}

/**
 * Logs an uncaught error as one fatal JSON line and exits: with a known reason, `reason` and its message and exit
 * code 78, so that a supervisor shows the reason once instead of restarting into the same failure; otherwise the
 * error with its stack and exit code 1, as Node would. The logger is made then: the service's own may not exist yet
 * (a bad setting stops a start before it does); its lines still buffered are written at exit.
 */
export function exitOnUncaughtError(createLogger: () => Logger): void {
  process.on("uncaughtException", (err) => {
    const logger = createLogger();
    const reason = startFailureReason(err);
    if (reason) {
      logger.fatal({ reason }, err.message);
      process.exit(cannotStartExitCode);
    }
    logger.fatal({ err }, "uncaught error");
    process.exit(1);
  });
}
