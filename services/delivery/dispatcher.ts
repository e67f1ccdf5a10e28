// Delivers one event to each of its org's matching subscriptions, once per subscription whatever the redeliveries.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Counter, type Registry } from "prom-client";
import { v7 as uuidv7 } from "uuid";
import type { Event } from "../../gen/triggers/v1/event_pb.js";
import type { Logger } from "../shared/logger.js";
import type { PublishedEvent } from "../shared/published-events.js";
import type { Limiter } from "./limiter.js";
import type { DeliveryStore, SubscriptionRow } from "./store.js";
import type { SubscriptionCache } from "./subscription-cache.js";
import { wantsEvent } from "./subscriptions.js";
import { postEvent } from "./webhook.js";

// A claim outlives the POST it covers by this much, so that only a worker that died loses it.
const leaseMarginMs = 60_000;

/** done: every matching subscription has its attempt recorded; retry: another worker still holds one. */
export type DispatchResult = "done" | "retry";

export interface DispatcherOptions {
  store: DeliveryStore;
  subscriptions: SubscriptionCache;
  logger: Logger;
  registry: Registry;
  /** Shared by every event: bounds the webhook POSTs in flight. */
  posts: Limiter;
  timeoutMs: number;
}

export function createDispatcher({ store, subscriptions, logger, registry, posts, timeoutMs }: DispatcherOptions) {
  const attempts = new Counter({
    name: "delivery_attempts_total",
    help: "Webhook POSTs made, by outcome.",
    labelNames: ["status"],
    registers: [registry],
  });

  async function deliverTo(orgId: string, event: Event, data: string, sub: SubscriptionRow) {
    const claim = await store.claimAttempt({
      id: uuidv7(),
      orgId,
      eventId: event.id,
      subscriptionId: sub.id,
      url: sub.url,
      leaseMs: timeoutMs + leaseMarginMs,
    });
    if (claim.kind !== "claimed") return claim.kind;
    const outcome = await postEvent(sub.url, event, data, timeoutMs);
    await store.recordOutcome(claim.attemptId, outcome);
    attempts.inc({ status: outcome.status });
    // Every attempt is recorded and counted; the log speaks up for failures, successes only at debug level.
    logger[outcome.status === "succeeded" ? "debug" : "info"](
      {
        event_id: event.id,
        subscription_id: sub.id,
        status: outcome.status,
        response_status: outcome.responseStatus,
        error: outcome.error,
        duration_ms: outcome.durationMs,
      },
      "attempt recorded",
    );
    return "done";
  }

  return {
    /** Whether the org has any subscription at all: events of orgs without one need not even be read. */
    async anyFor(orgId: string): Promise<boolean> {
      return (await subscriptions.forOrg(orgId)).length > 0;
    },

    /**
     * Throws when the store fails; attempts recorded before the failure stay recorded and are not repeated.
     * heartbeat is called before each POST, so that an event with many subscriptions keeps its message.
     */
    async dispatch(orgId: string, { event, data }: PublishedEvent, heartbeat: () => void): Promise<DispatchResult> {
      const receivedAt = event.receivedAt ? timestampDate(event.receivedAt) : new Date();
      const subs = (await subscriptions.forOrg(orgId)).filter((sub) => wantsEvent(sub, event.type, receivedAt));
      const results = await Promise.allSettled(
        subs.map((sub) =>
          posts.run(() => {
            heartbeat();
            return deliverTo(orgId, event, data, sub);
          }),
        ),
      );
      // Every delivery has settled before we report a failure: none is left running behind our back.
      const failure = results.find((result) => result.status === "rejected");
      if (failure) throw failure.reason;
      return results.some((result) => result.status === "fulfilled" && result.value === "busy") ? "retry" : "done";
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
