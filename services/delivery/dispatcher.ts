// Delivers events to each of their org's matching subscriptions, once per subscription whatever the redeliveries.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Counter, type Registry } from "prom-client";
import { v7 as uuidv7 } from "uuid";
import type { Event } from "../../gen/triggers/v1/event_pb.js";
import type { Logger } from "../shared/logger.js";
import type { PublishedEvent } from "../shared/published-events.js";
import { withRequestId } from "../shared/request-context.js";
import type { Limiter } from "./limiter.js";
import type { AttemptOutcome, DeliveryStore, SubscriptionRow } from "./store.js";
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

  function logAttempt(event: Event, sub: SubscriptionRow, outcome: AttemptOutcome) {
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
  }

  return {
    /** Whether the org has any subscription at all: events of orgs without one need not even be read. */
    async anyFor(orgId: string): Promise<boolean> {
      return (await subscriptions.forOrg(orgId)).length > 0;
    },

    /**
     * Delivers a message's events: every (event, subscription) pair is claimed in one statement, POSTed, and the
     * outcomes recorded in one more. Throws when the store fails; recorded attempts are never repeated.
     * heartbeat is called before each POST, so that a message with many deliveries keeps its lease.
     */
    async dispatch(orgId: string, events: PublishedEvent[], heartbeat: () => void): Promise<DispatchResult> {
      const pairs = matchingPairs(events, await subscriptions.forOrg(orgId));
      if (pairs.length === 0) return "done";
      const newAttempts = pairs.map(({ published: { event }, sub }) => ({
        id: uuidv7(),
        orgId,
        eventId: event.id,
        subscriptionId: sub.id,
        url: sub.url,
      }));
      const claims = await store.claimAttempts(newAttempts, timeoutMs + leaseMarginMs);
      const posted = await Promise.all(
        pairs.map(async ({ published, sub }, i) => {
          const claim = claims[i]!;
          if (claim.kind !== "claimed") return [];
          const outcome = await posts.run(() => {
            heartbeat();
            return postEvent(sub.url, published.event, published.data, timeoutMs);
          });
          return [{ published, sub, attemptId: claim.attemptId, outcome }];
        }),
      );
      const records = posted.flat();
      if (records.length > 0) await store.recordOutcomes(records);
      for (const { published, sub, outcome } of records)
        withRequestId(published.requestId, () => logAttempt(published.event, sub, outcome));
      return claims.some((claim) => claim.kind === "busy") ? "retry" : "done";
    },
  };
}

interface Pair {
  published: PublishedEvent;
  sub: SubscriptionRow;
}

/** Each event with each subscription that wants it, every pair once. */
function matchingPairs(events: PublishedEvent[], subs: SubscriptionRow[]): Pair[] {
  const seen = new Set<string>();
  return events.flatMap((published) => {
    const { event } = published;
    const receivedAt = event.receivedAt ? timestampDate(event.receivedAt) : new Date();
    return subs.flatMap((sub) => {
      const key = `${event.id} ${sub.id}`;
      if (seen.has(key) || !wantsEvent(sub, event.type, receivedAt)) return [];
      seen.add(key);
      return [{ published, sub }];
    });
  });
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
