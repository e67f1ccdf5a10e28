// Tells others what recorded attempts settled: dead letters, our own operational events, outcomes for the inbox, and
// subscriptions stopped for failing or gone.
import type { JetStreamClient } from "nats";
import { isOperationalType } from "../../shared/event-types.js";
import type { Logger } from "../../shared/logger.js";
import type { AttemptRecord, DeliveryRow, FailureCount, RecordedAttempts } from "../deliveries.js";
import type { SubscriptionCache } from "../subscriptions/cache.js";
import type { SubscriptionStore } from "../subscriptions/store.js";
import { failureReasons, publishDeadLetter } from "./dead-letters.js";
import { publishDisabled, publishExhausted } from "./operational-events.js";
import { publishOutcomes } from "./outcomes.js";

export interface SettledNoticesOptions {
  subscriptions: SubscriptionStore;
  cache: SubscriptionCache;
  js: JetStreamClient;
  logger: Logger;
  pauseAfterFailures: number;
}

export function createSettledNotices({ subscriptions, cache, js, logger, pauseAfterFailures }: SettledNoticesOptions) {
  async function step(name: string, run: () => Promise<void>): Promise<void> {
    await run().catch((err: unknown) => logger.error({ err, step: name }, "telling what attempts settled failed"));
  }

  async function announceFailures(settled: DeliveryRow[], batch: AttemptRecord[]): Promise<void> {
    const verdicts = new Map(batch.map((record) => [record.delivery.id, record.verdict]));
    for (const delivery of settled) {
      const verdict = verdicts.get(delivery.id)!;
      if (verdict.state !== "failed") continue;
      logger.warn({ delivery_id: delivery.id, event_id: delivery.event_id, reason: verdict.reason }, "delivery failed for good");
      await publishDeadLetter(js, delivery, verdict.reason);
      // Our own news that fails to arrive makes no further news: that way lies an endless chain.
      if (verdict.reason === "exhausted" && !isOperationalType(delivery.event_type)) {
        await publishExhausted(js, delivery, failureReasons.exhausted);
      }
    }
  }

  async function stopSubscriptions(batch: AttemptRecord[], failuresInARow: FailureCount[]): Promise<void> {
    const gone = [...new Set(batch.filter((r) => r.outcome.responseStatus === 410).map((r) => r.delivery.subscriptionId))];
    const failing = failuresInARow.filter((count) => count.consecutive_failures >= pauseAfterFailures).map((count) => count.id);
    if (gone.length === 0 && failing.length === 0) return;
    for (const sub of await subscriptions.stopSubscriptions(gone, failing)) {
      logger.warn({ subscription_id: sub.id, org_id: sub.org_id, state: sub.state, reason: sub.state_reason }, "subscription stopped");
      await cache.changed(sub.org_id);
      await publishDisabled(js, sub);
    }
  }

  return {
    /** Recorded, the attempts stand: each notice is told on its own, and one that fails does not hold up the next. */
    async tell(recorded: RecordedAttempts, batch: AttemptRecord[]): Promise<void> {
      await step("dead letters", () => announceFailures(recorded.settled, batch));
      await step("delivery outcomes", () => publishOutcomes(js, recorded.outcomes));
      await step("stopped subscriptions", () => stopSubscriptions(batch, recorded.failuresInARow));
    },
  };
}

export type SettledNotices = ReturnType<typeof createSettledNotices>;
