// Takes due deliveries from Postgres for this worker to send: retries whose time came, and what another worker left.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../shared/logger.js";
import type { TakenDelivery } from "../deliveries.js";
import type { DeliveryStore } from "../delivery-store.js";
import type { Lanes } from "./lanes.js";
import type { Sender } from "./sender.js";

export interface SchedulerOptions {
  store: Pick<DeliveryStore, "takeDue">;
  lanes: Lanes;
  sender: Pick<Sender, "send">;
  logger: Logger;
  pollIntervalMs: number;
  leaseMs: number;
}

export interface RunningScheduler {
  /** Stops taking deliveries; those taken are left to the sender. */
  stop(): Promise<void>;
}

function countBySubscription(taken: TakenDelivery[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { subscriptionId } of taken) counts.set(subscriptionId, (counts.get(subscriptionId) ?? 0) + 1);
  return counts;
}

export function startScheduler({ store, lanes, sender, logger, pollIntervalMs, leaseMs }: SchedulerOptions): RunningScheduler {
  const stopping = new AbortController();

  // Returns whether it took all it could: then more may be due already.
  async function takeDue(): Promise<boolean> {
    const free = lanes.free();
    if (free === 0) return false;
    const taken = await store.takeDue(free, lanes.perSubscription, lanes.full(), leaseMs);
    sender.send(taken);
    // A subscription that got its whole share may have more due: its lane's room will wake us.
    for (const [subscriptionId, count] of countBySubscription(taken)) {
      if (count >= lanes.perSubscription) lanes.overflowed(subscriptionId);
    }
    return taken.length === free;
  }

  let wake = new AbortController();
  lanes.onRoom(() => wake.abort());
  stopping.signal.addEventListener("abort", () => wake.abort(), { once: true });

  // Waits for the next poll, or less when a backlog's lane has room: a backlog drains at its endpoint's pace.
  async function pause(): Promise<void> {
    if (!wake.signal.aborted) {
      // The abort that ends the wait early is the point of it, not a failure.
      await sleep(pollIntervalMs, undefined, { signal: wake.signal }).catch(() => undefined);
    }
    if (!stopping.signal.aborted) wake = new AbortController();
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
