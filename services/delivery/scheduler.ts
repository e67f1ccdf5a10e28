// Takes due deliveries from Postgres for this worker to send: retries whose time came, and what another worker left.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../shared/logger.js";
import type { DeliveryStore } from "./delivery-store.js";
import type { Lanes } from "./lanes.js";
import type { Sender } from "./sender.js";

export interface SchedulerOptions {
  store: DeliveryStore;
  lanes: Lanes;
  sender: Sender;
  logger: Logger;
  pollIntervalMs: number;
  leaseMs: number;
}

export interface RunningScheduler {
  /** Stops taking deliveries; those taken are left to the sender. */
  stop(): Promise<void>;
}

export function startScheduler({ store, lanes, sender, logger, pollIntervalMs, leaseMs }: SchedulerOptions): RunningScheduler {
  const stopping = new AbortController();

  // Returns whether it took all it could: then more may be due already.
  async function takeDue(): Promise<boolean> {
    const free = lanes.free();
    if (free === 0) return false;
    const taken = await store.takeDue(free, lanes.perSubscription, lanes.full(), leaseMs);
    sender.send(taken);
    return taken.length === free;
  }

  // Waits for the next poll; a lane left full comes back sooner, as soon as it has room: a backlog drains at the
  // endpoint's pace, not the poll's.
  async function pause(): Promise<void> {
    const wait = new AbortController();
    const stop = () => wait.abort();
    stopping.signal.addEventListener("abort", stop, { once: true });
    if (lanes.full().length > 0) lanes.whenRoom(stop);
    // The abort that ends the wait early is the point of it, not a failure.
    await sleep(pollIntervalMs, undefined, { signal: wait.signal }).catch(() => undefined);
    stopping.signal.removeEventListener("abort", stop);
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const more = await takeDue().catch((err: unknown) => {
        logger.warn({ err }, "taking due deliveries failed, trying again later");
        return false;
      });
      if (!more) await pause();
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
