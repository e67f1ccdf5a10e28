// The inbox's RPCs: list an org's events a page at a time or watch them arrive, read one with its history, acknowledge one or many, delete one.
import { create, fromJsonString } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { CallOptions, Client, ConnectRouter, HandlerContext } from "@connectrpc/connect";
import type { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { type Event, EventDeliveryStatus, EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { InboxService, ListInboxResponseSchema } from "../../gen/triggers/v1/inbox_pb.js";
import { eventTypesPage, maxAckIds } from "../shared/api-limits.js";
import type { Arrivals } from "../shared/arrivals.js";
import type { RecordAudit } from "../shared/audit.js";
import { callerOf, keyFromHeaders } from "../shared/authenticate.js";
import { decodeTypeCursor, encodeTypeCursor } from "../shared/cursor.js";
import { InvalidField, NotFound } from "../shared/domain-errors.js";
import { requireUuid } from "../shared/ids.js";
import type { JsonRoute } from "../shared/json-route.js";
import { pageSize } from "../shared/page-size.js";
import { attemptsOf, historyOf } from "./history.js";
import { inboxQueryOf, watchQueryOf } from "./inbox-query.js";
import { type InboxLister, listInbox } from "./listing.js";
import { requireRetentionDays } from "./settings.js";
import type { EventRow, EventStore } from "./store.js";
import { type WatchReads, watchEvents } from "./watching.js";

/**
 * ListInbox for Connect JSON callers, the gateway's REST path among them: Postgres renders the page, and the
 * answer is what Connect would have written from the same rows. Binary, gRPC and gRPC-Web calls go through
 * inboxRoutes below, which read the same JSON.
 */
export function listInboxJson(store: InboxLister, arrivals: Pick<Arrivals, "watch">): JsonRoute<typeof InboxService.method.listInbox> {
  return {
    method: InboxService.method.listInbox,
    answer: (req, caller, call) => listInbox(store, arrivals, caller.orgId, inboxQueryOf(req), call),
  };
}

/** The store's reads and acknowledgement, all the routes need: a store in memory can stand in for tests. */
export type InboxReads = InboxLister &
  WatchReads &
  Pick<EventStore, "eventTypes" | "find" | "ack" | "ackMany" | "delete" | "retentionDays" | "setRetentionDays">;

/** What the inbox asks of the delivery service about an event. */
export type EventDeliveries = Pick<Client<typeof DeliveryService>, "listEventDeliveries" | "cancelEventDeliveries">;

export interface InboxDeps {
  store: InboxReads;
  arrivals: Pick<Arrivals, "watch">;
  delivery: EventDeliveries;
  /** The retention of orgs that have not set theirs. */
  defaultRetentionDays: number;
  /** Aborted when the server begins to stop: event streams end, and their callers reconnect. */
  draining: AbortSignal;
  audit: RecordAudit;
}

export function inboxRoutes({ store, arrivals, delivery, defaultRetentionDays, draining, audit }: InboxDeps) {
  return (router: ConnectRouter) =>
    router.service(InboxService, {
      async listInbox(req, ctx) {
        const limits = { timeoutMs: ctx.timeoutMs(), signal: ctx.signal };
        const json = await listInbox(store, arrivals, callerOf(ctx).orgId, inboxQueryOf(req), limits);
        return fromJsonString(ListInboxResponseSchema, json);
      },

      watchEvents(req, ctx) {
        return watchEvents(store, arrivals, callerOf(ctx).orgId, watchQueryOf(req), { signal: ctx.signal, draining });
      },

      async listEventTypes(req, ctx) {
        const limit = pageSize(req.limit, eventTypesPage);
        const types = await store.eventTypes(callerOf(ctx).orgId, decodeTypeCursor(req.cursor), limit + 1);
        const page = types.slice(0, limit);
        return { eventTypes: page, nextCursor: page.length > 0 ? encodeTypeCursor(page.at(-1)!) : "", hasMore: types.length > limit };
      },

      async getEvent(req, ctx) {
        const row = await store.find(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw new NotFound("event");
        const { deliveries } = await delivery.listEventDeliveries({ eventId: row.id }, asCaller(ctx));
        return { event: toEvent(row), history: historyOf(row, deliveries), deliveryAttempts: attemptsOf(deliveries) };
      },

      // Deliveries are cancelled first: were the inbox's copy deleted first and the call to delivery then failed,
      // a retry would find no event to delete, and the deliveries would go on.
      async deleteEvent(req, ctx) {
        const { orgId, keyId } = callerOf(ctx);
        const id = requireUuid(req.id, "id");
        if (!(await store.find(orgId, id))) throw new NotFound("event");
        await delivery.cancelEventDeliveries({ eventId: id }, asCaller(ctx));
        const deleted = await store.delete(orgId, id, () =>
          audit(ctx, { orgId, keyId, action: "event.deleted", resource: "event", resourceId: id }),
        );
        if (!deleted) throw new NotFound("event");
        return {};
      },

      async ackEvent(req, ctx) {
        const row = await store.ack(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw new NotFound("event");
        return { event: toEvent(row) };
      },

      async getInboxSettings(_req, ctx) {
        const days = await store.retentionDays(callerOf(ctx).orgId);
        return { settings: { retentionDays: days ?? defaultRetentionDays } };
      },

      async updateInboxSettings(req, ctx) {
        if (!req.settings) throw new InvalidField("settings", "settings are required");
        const days = requireRetentionDays(req.settings.retentionDays);
        const { orgId, keyId } = callerOf(ctx);
        await store.setRetentionDays(orgId, days, () =>
          audit(ctx, {
            orgId,
            keyId,
            action: "inbox.settings_updated",
            resource: "inbox",
            resourceId: orgId,
            details: { retention_days: days },
          }),
        );
        return { settings: { retentionDays: days } };
      },

      async ackEvents(req, ctx) {
        const { acked, already_acked, unknown_ids } = await store.ackMany(callerOf(ctx).orgId, eventIds(req.ids));
        return { acked, alreadyAcked: already_acked, unknownIds: unknown_ids };
      },
    });
}

/** The ids of a bulk acknowledgement, each a valid id, in canonical form. */
function eventIds(ids: string[]): string[] {
  if (ids.length === 0) throw new InvalidField("ids", "ids names no event");
  if (ids.length > maxAckIds) throw new InvalidField("ids", `ids holds more than ${maxAckIds} ids`);
  return ids.map((id, index) => requireUuid(id, `ids[${index}]`));
}

/** The caller's own key, for calls made on its behalf: the delivery service checks it as it would the caller's. */
function asCaller(ctx: HandlerContext): CallOptions {
  return { headers: { authorization: `Bearer ${keyFromHeaders(ctx.requestHeader)}` }, signal: ctx.signal };
}

const deliveryStatuses = { delivered: EventDeliveryStatus.DELIVERED, failed: EventDeliveryStatus.FAILED } as const;

function toEvent(row: EventRow): Event {
  return create(EventSchema, {
    id: row.id,
    type: row.type,
    source: row.source,
    data: row.data as Event["data"],
    occurredAt: timestampFromDate(row.occurred_at),
    receivedAt: timestampFromDate(row.received_at),
    ackedAt: row.acked_at ? timestampFromDate(row.acked_at) : undefined,
    deliveryStatus: row.delivery_status ? deliveryStatuses[row.delivery_status] : undefined,
  });
}
