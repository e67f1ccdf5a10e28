// Records attempts as they finish, many per statement when many finish together, with the messages telling what they settled.

import { Batcher } from "../../shared/batcher.js";
import type { Logger } from "../../shared/logger.js";
import type { AttemptRecord, SubscriptionOutcomes } from "../deliveries.js";
import type { DeliveryStore } from "../delivery-store.js";
import type { SettledNotices } from "../notices/settled.js";
import type { AttemptMetrics } from "./attempt-metrics.js";

// Groups of attempts recorded by one statement, at most.
const maxGroups = 500;

export interface RecorderOptions {
  deliveries: Pick<DeliveryStore, "recordAttempts">;
  metrics: AttemptMetrics;
  notices: SettledNotices;
  logger: Logger;
}

export function createRecorder({ deliveries, metrics, notices, logger }: RecorderOptions) {
  // Attempts that finish while a batch is being written wait for the next one.
  const batches = new Batcher(async (groups: AttemptRecord[][]) => {
    const batch = groups.flat();
    const recorded = await deliveries
      .recordAttempts(batch, outcomesBySubscription(batch), (settled) => notices.messagesOf(settled, batch))
      .catch((err: unknown) => {
        logger.warn({ err, attempts: batch.length }, "recording attempts failed");
        throw err;
      });
    for (const record of batch) metrics.count(record);
    await notices.recorded(recorded, batch);
  }, maxGroups);

  return {
    /**
     * Records the attempts in one statement, with others that finish meanwhile; resolves once they are written, and
     * rejects when they could not be (already logged).
     */
    record: (group: AttemptRecord[]): Promise<void> => batches.add(group),
  };
}

/** What a batch of attempts says of each subscription, in the order the attempts finished. */
function outcomesBySubscription(batch: AttemptRecord[]): SubscriptionOutcomes[] {
  const bySubscription = new Map<string, SubscriptionOutcomes>();
  for (const { delivery, outcome } of batch) {
    const id = delivery.subscriptionId;
    const entry = bySubscription.get(id) ?? { id, failuresSinceSuccess: 0, succeeded: false };
    if (outcome.status === "succeeded") Object.assign(entry, { failuresSinceSuccess: 0, succeeded: true });
    else entry.failuresSinceSuccess++;
    bySubscription.set(id, entry);
  }
  return [...bySubscription.values()];
}

export type Recorder = ReturnType<typeof createRecorder>;
