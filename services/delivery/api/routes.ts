// The delivery service's RPCs: an org's subscriptions, and the deliveries of its events with their attempts.

import type { JsonObject } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import {
  DeliveryService,
  DeliveryState,
  type ListSubscriptionDeliveriesRequest,
  type UpdateSubscriptionRequest,
} from "../../../gen/triggers/v1/delivery_pb.js";
import { deliveriesPage } from "../../shared/api-limits.js";
import type { RecordAudit } from "../../shared/audit.js";
import { callerOf } from "../../shared/authenticate.js";
import { decodeCursor, encodeCursor } from "../../shared/cursor.js";
import { InvalidField, NotFound } from "../../shared/domain-errors.js";
import { requireUuid } from "../../shared/ids.js";
import { pageSize } from "../../shared/page-size.js";
import type { DeliveryState as StoredState } from "../deliveries.js";
import type { DeliveryStore } from "../delivery-store.js";
import type { SubscriptionCache } from "../subscriptions/cache.js";
import { description, eventTypes, webhookUrl } from "../subscriptions/rules.js";
import type { SubscriptionChanges, SubscriptionRow, SubscriptionStore } from "../subscriptions/store.js";
import type { AddressGuard } from "../webhook/address-guard.js";
import { newSigningSecret } from "../webhook/signing.js";
import { attemptView, deliveryStates, deliveryView, subscriptionView } from "./views.js";

// After a rotation, the old secret signs beside the new one this long: receivers switch over without losing any.
const rotationOverlapMs = 24 * 60 * 60 * 1000;

export interface DeliveryRouteDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  /** Every change of an org's subscriptions is announced to the delivery replicas before it is acknowledged. */
  cache: Pick<SubscriptionCache, "changed">;
  guard: AddressGuard;
  audit: RecordAudit;
}

export function deliveryRoutes({ subscriptions, deliveries, cache, guard, audit }: DeliveryRouteDeps) {
  /** Records a change of a subscription by the caller; run inside the change's transaction. */
  const audited =
    (ctx: HandlerContext, action: string, details: (row: SubscriptionRow) => JsonObject = () => ({})) =>
    (row: SubscriptionRow) => {
      const { orgId, keyId } = callerOf(ctx);
      return audit(ctx, { orgId, keyId, action, resource: "subscription", resourceId: row.id, details: details(row) });
    };

  async function checkedUrl(raw: string): Promise<string> {
    const url = webhookUrl(raw);
    await guard.checkUrl(url);
    return url;
  }

  async function requireSubscription(orgId: string, id: string): Promise<void> {
    if (!(await subscriptions.getSubscription(orgId, id))) throw new NotFound("subscription");
  }

  async function changesOf(req: UpdateSubscriptionRequest): Promise<SubscriptionChanges> {
    const paths = req.updateMask?.paths ?? [];
    if (paths.length === 0) throw new InvalidField("update_mask", "update_mask names no field to change");
    const given = req.subscription;
    const changes: SubscriptionChanges = {};
    for (const path of paths) {
      if (path === "url") changes.url = await checkedUrl(given?.url ?? "");
      else if (path === "event_types") changes.eventTypes = eventTypes(given?.eventTypes ?? []);
      else if (path === "description") changes.description = description(given?.description ?? "");
      else if (path === "enabled") changes.enabled = given?.enabled ?? false;
      else throw new InvalidField("update_mask", `"${path}" is not a field that can be changed`);
    }
    return changes;
  }

  return (router: ConnectRouter) =>
    router.service(DeliveryService, {
      async createSubscription(req, ctx) {
        const { orgId } = callerOf(ctx);
        const url = await checkedUrl(req.url);
        const row = await subscriptions.createSubscription(
          {
            id: uuidv7(),
            orgId,
            url,
            eventTypes: eventTypes(req.eventTypes),
            description: description(req.description),
            secret: newSigningSecret(),
          },
          audited(ctx, "subscription.created", (created) => ({ url: created.url, event_types: created.event_types })),
        );
        await cache.changed(orgId);
        return { subscription: subscriptionView(row, { withSecret: true }) };
      },

      async listSubscriptions(_req, ctx) {
        const rows = await subscriptions.listSubscriptions(callerOf(ctx).orgId);
        return { subscriptions: rows.map((row) => subscriptionView(row)) };
      },

      async getSubscription(req, ctx) {
        const row = await subscriptions.getSubscription(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw new NotFound("subscription");
        return { subscription: subscriptionView(row) };
      },

      async updateSubscription(req, ctx) {
        const { orgId } = callerOf(ctx);
        const id = requireUuid(req.id, "id");
        const changes = await changesOf(req);
        const row = await subscriptions.updateSubscription(
          orgId,
          id,
          changes,
          audited(ctx, "subscription.updated", () => changedFields(changes)),
        );
        if (!row) throw new NotFound("subscription");
        await cache.changed(orgId);
        return { subscription: subscriptionView(row) };
      },

      async deleteSubscription(req, ctx) {
        const { orgId } = callerOf(ctx);
        const deleted = await subscriptions.deleteSubscription(orgId, requireUuid(req.id, "id"), audited(ctx, "subscription.deleted"));
        if (!deleted) throw new NotFound("subscription");
        await cache.changed(orgId);
        return {};
      },

      async rotateSubscriptionSecret(req, ctx) {
        const { orgId } = callerOf(ctx);
        const row = await subscriptions.rotateSecret(
          orgId,
          requireUuid(req.id, "id"),
          { secret: newSigningSecret(), keepMs: rotationOverlapMs },
          audited(ctx, "subscription.secret_rotated"),
        );
        if (!row) throw new NotFound("subscription");
        // Replicas sign with the secrets they hold in memory: they must drop the old set before we answer.
        await cache.changed(orgId);
        return { subscription: subscriptionView(row, { withSecret: true }) };
      },

      async replaySubscription(req, ctx) {
        const { orgId, keyId } = callerOf(ctx);
        const id = requireUuid(req.id, "id");
        if (!req.since) throw new InvalidField("since", "since is required");
        await requireSubscription(orgId, id);
        const since = timestampDate(req.since);
        const replayed = await deliveries.replayFailed(orgId, id, since, (count) =>
          audit(ctx, {
            orgId,
            keyId,
            action: "subscription.replayed",
            resource: "subscription",
            resourceId: id,
            details: { since: since.toISOString(), replayed: count },
          }),
        );
        return { replayed };
      },

      // An event of another org, or one that matched no subscription, has no deliveries here: both give an empty
      // list, since this service cannot tell an unknown event from one nobody subscribed to.
      async listEventDeliveries(req, ctx) {
        const rows = await deliveries.eventDeliveries(callerOf(ctx).orgId, requireUuid(req.eventId, "event_id"));
        return { deliveries: rows.map(deliveryView) };
      },

      async listSubscriptionDeliveries(req, ctx) {
        const { orgId } = callerOf(ctx);
        const id = requireUuid(req.subscriptionId, "subscription_id");
        const page = pageOf(req);
        await requireSubscription(orgId, id);
        const rows = await deliveries.subscriptionDeliveries(orgId, id, { ...page, limit: page.limit + 1 });
        const shown = rows.slice(0, page.limit);
        return {
          deliveries: shown.map(deliveryView),
          nextCursor: rows.length > page.limit ? encodeCursor(shown.at(-1)!.id) : "",
        };
      },

      async retryDelivery(req, ctx) {
        const { orgId, keyId } = callerOf(ctx);
        const id = requireUuid(req.id, "id");
        const row = await deliveries.retryDelivery(orgId, id, ({ event_id, subscription_id }) =>
          audit(ctx, {
            orgId,
            keyId,
            action: "delivery.retried",
            resource: "delivery",
            resourceId: id,
            details: { event_id, subscription_id },
          }),
        );
        if (!row) throw new NotFound("delivery");
        return { delivery: deliveryView(row) };
      },

      async cancelEventDeliveries(req, ctx) {
        return { cancelled: await deliveries.cancelEvent(callerOf(ctx).orgId, requireUuid(req.eventId, "event_id")) };
      },

      async listAttempts(req, ctx) {
        const rows = await deliveries.listAttempts(callerOf(ctx).orgId, requireUuid(req.eventId, "event_id"));
        return { attempts: rows.map(attemptView) };
      },
    });
}

const storedStates = new Map<DeliveryState, StoredState>(
  Object.entries(deliveryStates).map(([stored, state]) => [state, stored as StoredState]),
);

function pageOf(req: ListSubscriptionDeliveriesRequest) {
  const limit = pageSize(req.limit, deliveriesPage);
  const state = req.state === DeliveryState.UNSPECIFIED ? undefined : storedStates.get(req.state);
  if (req.state !== DeliveryState.UNSPECIFIED && !state) throw new InvalidField("state", "state is not a delivery state");
  return { limit, before: decodeCursor(req.cursor), state };
}

/** A change as the audit log shows it: the fields changed, with their new values. */
function changedFields({ url, eventTypes, description, enabled }: SubscriptionChanges): JsonObject {
  return {
    ...(url !== undefined && { url }),
    ...(eventTypes !== undefined && { event_types: eventTypes }),
    ...(description !== undefined && { description }),
    ...(enabled !== undefined && { enabled }),
  };
}
