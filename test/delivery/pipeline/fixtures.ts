// What the pipeline's unit tests share: an org's subscriptions as the cache serves them, and events as ingest publishes them.
import { v7 as uuidv7 } from "uuid";
import type { AttemptRecord } from "../../../services/delivery/deliveries.js";
import type { SubscriptionRow, SubscriptionState } from "../../../services/delivery/subscriptions/store.js";
import type { AttemptOutcome } from "../../../services/delivery/webhook/post.js";
import type { PublishedEvent } from "../../../services/shared/published-events.js";
import { firstAttemptRecord } from "../first-attempts.js";
import { newEvent } from "../helpers.js";
import type { MemoryDeliveryStore } from "../memory-store.js";

/** A subscription in the store and as the cache would serve it. */
export function subscription(store: MemoryDeliveryStore, state: SubscriptionState = "active", eventTypes: string[] = []): SubscriptionRow {
  const { id, url } = store.addSubscription(uuidv7(), state);
  const at = new Date();
  return {
    id,
    org_id: uuidv7(),
    url,
    description: "",
    event_types: eventTypes,
    state,
    state_reason: "",
    secret: "whsec_AAAA",
    previous_secret: null,
    previous_secret_until: null,
    created_at: at,
    updated_at: at,
  };
}

/** The org's subscriptions, as the dispatcher asks for them. */
export function cacheOf(subscriptions: SubscriptionRow[]) {
  return { forOrg: async () => subscriptions };
}

export function published(type = "order.created"): PublishedEvent {
  return { event: newEvent(type), data: '{"n":1}', requestId: "" };
}

/** A first attempt's record for the subscription, of a new event unless one is named, succeeded or to be retried. */
export function firstAttempt(sub: SubscriptionRow, succeeded: boolean, eventId?: string): AttemptRecord {
  const outcome: AttemptOutcome = {
    status: succeeded ? "succeeded" : "failed",
    responseStatus: succeeded ? 200 : 500,
    error: "",
    responseBody: "",
    durationMs: 1,
    retryAfterMs: 0,
    abort: false,
  };
  const verdict: AttemptRecord["verdict"] = succeeded ? { state: "succeeded" } : { state: "pending", retryInMs: 60_000 };
  return firstAttemptRecord(sub, outcome, verdict, { eventId });
}
