// Runs a service's shutdown steps in order on SIGTERM or SIGINT, then exits; a second signal exits at once.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "./logger.js";

export type ShutdownStep = [name: string, run: () => Promise<unknown>];

// A step may use the whole grace (the server lets requests finish), then needs a moment to close what it cut short.
const stepMarginMs = 5_000;

/**
 * graceMs is how long in-flight work may take to finish (SHUTDOWN_GRACE_MS). Each step gets that plus a margin
 * at most: a connection that never drains must not keep a pod from stopping.
 */
export function onShutdown(logger: Logger, graceMs: number, steps: ShutdownStep[]): void {
  const stepTimeoutMs = graceMs + stepMarginMs;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down");
    let failed = false;
    for (const [name, run] of steps) {
      try {
        const outcome = await Promise.race([run().then(() => "done"), sleep(stepTimeoutMs, "timed out", { ref: false })]);
        if (outcome !== "done") throw new Error(`did not finish within ${stepTimeoutMs} ms`);
      } catch (err) {
        failed = true;
        logger.error({ err, step: name }, "shutdown step failed");
      }
    }
    logger.info("stopped");
    logger.flush();
    process.exit(failed ? 1 : 0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * Ends the process when one of its stream readers stops for good: serving the API while nothing reads a stream would
 * look healthy as its messages pile up, and a restart by the orchestrator is the cure.
 */
export function exitWhenStopped(logger: Logger, readers: Record<string, { done: Promise<void> }>): void {
  for (const [what, reader] of Object.entries(readers)) {
    reader.done.catch((err: unknown) => {
      logger.fatal({ err }, `${what} stopped`);
      process.exit(1);
    });
  }
}
