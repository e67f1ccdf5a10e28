// Runs a task now and then every interval, one run at a time, until stopped: the housekeeping each service does.
import { isDependencyDown } from "./dependency-errors.js";
import type { Logger } from "./logger.js";

export interface Periodic {
  /** Stops the runs and waits for the one under way. */
  stop(): Promise<void>;
}

/** A run that fails is logged; the next one tries again. A run still under way when the next is due carries on alone. */
export function startPeriodic(what: string, intervalMs: number, run: () => Promise<void>, logger: Logger): Periodic {
  let running: Promise<void> | undefined;
  const start = () => {
    running ??= run()
      .catch((err: unknown) => {
        if (isDependencyDown(err)) logger.warn({ err }, `${what} failed; the next run will try again`);
        else logger.error({ err }, `${what} failed; the next run will try again`);
      })
      .finally(() => {
        running = undefined;
      });
  };
  start();
  const timer = setInterval(start, intervalMs).unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
