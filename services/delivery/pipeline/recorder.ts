// Records attempts as they finish, many per statement when many finish together, and acts on what they settle.
import type { JetStreamClient } from "nats";
import { Counter, Histogram, type Registry } from "prom-client";
import { isOperationalType } from "../../shared/event-types.js";
import type { Logger } from "../../shared/logger.js";
import type { AttemptRecord, DeliveryRow, FailureCount, SubscriptionOutcomes } from "../deliveries.js";
import type { DeliveryStore } from "../delivery-store.js";
import { failureReasons, publishDeadLetter } from "../notices/dead-letters.js";
import { publishDisabled, publishExhausted } from "../notices/operational-events.js";
import { publishOutcomes } from "../notices/outcomes.js";
import type { SubscriptionCache } from "../subscriptions/cache.js";
import type { SubscriptionStore } from "../subscriptions/store.js";
import { Batcher } from "./batcher.js";

// Attempts recorded by one statement, at most.
const maxBatch = 500;

export interface RecorderOptions {
  deliveries: DeliveryStore;
  subscriptions: SubscriptionStore;
  cache: SubscriptionCache;
  js: JetStreamClient;
  logger: Logger;
  registry: Registry;
  pauseAfterFailures: number;
}

export function createRecorder({ deliveries, subscriptions, cache, js, logger, registry, pauseAfterFailures }: RecorderOptions) {
  const attempts = new Counter({
    name: "delivery_attempts_total",
    help: "Webhook attempts made, by outcome and by the answer's status class (none when there was no answer).",
    labelNames: ["outcome", "status_class"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "delivery_latency_seconds",
    help: "From a delivery's creation to its successful attempt.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 86400],
    registers: [registry],
  });

  async function write(batch: AttemptRecord[]): Promise<void> {
    const recorded = await deliveries.recordAttempts(batch, outcomesBySubscription(batch));
    for (const record of batch) count(record);
    // Recorded, the attempts stand: what follows tells others, and a failure of one step does not hold up the next.
    await step("dead letters", () => announceFailures(recorded.settled, batch));
    await step("delivery outcomes", () => publishOutcomes(js, recorded.outcomes));
    await step("stopped subscriptions", () => stopSubscriptions(batch, recorded.failuresInARow));
  }

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

  function count({ delivery, outcome }: AttemptRecord): void {
    const statusClass = outcome.responseStatus ? `${Math.floor(outcome.responseStatus / 100)}xx` : "none";
    attempts.inc({ outcome: outcome.status, status_class: statusClass });
    if (outcome.status === "succeeded") latency.observe((Date.now() - delivery.createdAt.getTime()) / 1000);
  }

  // Attempts that finish while a batch is being written wait for the next one.
  const batches = new Batcher(async (batch: AttemptRecord[]) => {
    // Unrecorded, the deliveries stay held until their leases end, then are tried again: at least once, never lost.
    await write(batch).catch((err: unknown) => logger.warn({ err, attempts: batch.length }, "recording attempts failed"));
  }, maxBatch);

  return {
    /** Queues the attempt's record; resolves once it is written, or given up. */
    record: (record: AttemptRecord): Promise<void> => batches.add(record),
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
