// The delivery service's RPCs: an org's subscriptions, and the attempts made to deliver its events.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import {
  type Attempt,
  AttemptSchema,
  AttemptStatus,
  DeliveryService,
  type Subscription,
  SubscriptionSchema,
} from "../../gen/triggers/v1/delivery_pb.js";
import { callerOf } from "../shared/authenticate.js";
import { NotFound } from "../shared/domain-errors.js";
import { requireUuid } from "../shared/ids.js";
import type { AttemptRow, DeliveryStore, SubscriptionRow } from "./store.js";
import type { SubscriptionCache } from "./subscription-cache.js";
import { eventTypes, webhookUrl } from "./subscriptions.js";

/** What the routes need of the store: a store in memory can stand in for tests. */
export type SubscriptionsAndAttempts = Pick<
  DeliveryStore,
  "createSubscription" | "listSubscriptions" | "getSubscription" | "deleteSubscription" | "listAttempts"
>;

/** Every change of an org's subscriptions is announced to the delivery replicas before it is acknowledged. */
export function deliveryRoutes(store: SubscriptionsAndAttempts, subscriptions: Pick<SubscriptionCache, "changed">) {
  return (router: ConnectRouter) =>
    router.service(DeliveryService, {
      async createSubscription(req, ctx) {
        const { orgId } = callerOf(ctx);
        const url = webhookUrl(req.url);
        const types = eventTypes(req.eventTypes);
        const row = await store.createSubscription({ id: uuidv7(), orgId, url, eventTypes: types });
        await subscriptions.changed(orgId);
        return { subscription: subscription(row) };
      },

      async listSubscriptions(_req, ctx) {
        const rows = await store.listSubscriptions(callerOf(ctx).orgId);
        return { subscriptions: rows.map(subscription) };
      },

      async getSubscription(req, ctx) {
        const row = await store.getSubscription(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw new NotFound("subscription");
        return { subscription: subscription(row) };
      },

      async deleteSubscription(req, ctx) {
        const { orgId } = callerOf(ctx);
        const deleted = await store.deleteSubscription(orgId, requireUuid(req.id, "id"));
        if (!deleted) throw new NotFound("subscription");
        await subscriptions.changed(orgId);
        return {};
      },

      // An event of another org, or one never delivered, has no attempts here: both give an empty list,
      // since this service cannot tell an unknown event from one that matched no subscription.
      async listAttempts(req, ctx) {
        const rows = await store.listAttempts(callerOf(ctx).orgId, requireUuid(req.eventId, "event_id"));
        return { attempts: rows.map(attempt) };
      },
    });
}

function subscription(row: SubscriptionRow): Subscription {
  return create(SubscriptionSchema, {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    createdAt: timestampFromDate(row.created_at),
  });
}

const attemptStatuses = { succeeded: AttemptStatus.SUCCEEDED, failed: AttemptStatus.FAILED } as const;

function attempt(row: AttemptRow): Attempt {
  return create(AttemptSchema, {
    id: row.id,
    eventId: row.event_id,
    subscriptionId: row.subscription_id,
    url: row.url,
    status: attemptStatuses[row.status],
    responseStatus: row.response_status,
    error: row.error,
    startedAt: timestampFromDate(row.started_at),
    durationMs: row.duration_ms,
  });
}
