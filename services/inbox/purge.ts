// Deletes events older than their org's retention, on its own, every interval: in batches, so that no statement holds locks for long.
import { isDependencyDown } from "../shared/dependency-errors.js";
import type { Logger } from "../shared/logger.js";
import { eventsKeptDays } from "../shared/streams.js";
import type { EventStore } from "./store.js";

const batchSize = 5_000;
// A tombstone must outlive every copy of its event on the events stream.
const tombstoneDays = eventsKeptDays + 1;

export interface PurgeOptions {
  intervalMs: number;
  defaultRetentionDays: number;
}

export function startPurge(store: Pick<EventStore, "purgeExpired">, options: PurgeOptions, logger: Logger) {
  let running: Promise<void> | undefined;
  let stopped = false;

  const round = async () => {
    let total = 0;
    for (;;) {
      const purged = await store.purgeExpired(options.defaultRetentionDays, tombstoneDays, batchSize);
      total += purged;
      if (purged < batchSize || stopped) break;
    }
    if (total > 0) logger.info({ purged: total }, "events past their retention deleted");
  };
  // A round still under way when the next is due carries on alone.
  const run = () => {
    running ??= round()
      .catch((err: unknown) => {
        // The next round tries again: nothing is lost by a round that fails.
        if (isDependencyDown(err)) logger.warn({ err }, "purge failed; the next round will try again");
        else logger.error({ err }, "purge failed; the next round will try again");
      })
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs).unref();

  return {
    /** Stops the rounds and waits for the one under way. */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
