// The inbox's RPCs: list an org's pending events a page at a time, read one, acknowledge one.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { type Event, EventDeliveryStatus, EventSchema } from "../../gen/triggers/v1/event_pb.js";
import { InboxService, type ListInboxRequest } from "../../gen/triggers/v1/inbox_pb.js";
import { callerOf } from "../shared/authenticate.js";
import { decodeCursor, encodeCursor } from "../shared/cursor.js";
import { InvalidField, NotFound } from "../shared/domain-errors.js";
import { requireUuid } from "../shared/ids.js";
import type { JsonRoute } from "../shared/json-route.js";
import type { EventRow, EventStore } from "./store.js";

const defaultLimit = 100;
const maxLimit = 1000;
const maxAckIds = 1000;

/** The page a ListInbox request asks for: how many events, after which one. */
function pageOf(req: ListInboxRequest): { limit: number; after: string | undefined } {
  if (req.limit < 0 || req.limit > maxLimit) throw new InvalidField("limit", `limit must be from 1 to ${maxLimit}`);
  return { limit: req.limit || defaultLimit, after: decodeCursor(req.cursor) };
}

/**
 * ListInbox for Connect JSON callers, the gateway's REST path among them: Postgres renders the page, and the
 * answer is what Connect would have written from the same rows. Binary, gRPC and gRPC-Web calls go through
 * inboxRoutes below.
 */
export function listInboxJson(store: EventStore): JsonRoute<typeof InboxService.method.listInbox> {
  return {
    method: InboxService.method.listInbox,
    async answer(req, caller) {
      const { limit, after } = pageOf(req);
      const page = await store.pendingJson(caller.orgId, after, limit);
      const nextCursor = page.more && page.lastId ? encodeCursor(page.lastId) : "";
      return `{"events":${page.events},"next_cursor":${JSON.stringify(nextCursor)}}`;
    },
  };
}

/** The store's reads and acknowledgement, all the routes need: a store in memory can stand in for tests. */
export type InboxReads = Pick<EventStore, "pending" | "find" | "ack" | "ackMany">;

export function inboxRoutes(store: InboxReads) {
  return (router: ConnectRouter) =>
    router.service(InboxService, {
      async listInbox(req, ctx) {
        const { limit, after } = pageOf(req);
        // One row more than asked tells whether another page exists without a second query.
        const rows = await store.pending(callerOf(ctx).orgId, after, limit + 1);
        const page = rows.slice(0, limit);
        return {
          events: page.map(toEvent),
          nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : "",
        };
      },

      async getEvent(req, ctx) {
        const row = await store.find(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw new NotFound("event");
        return { event: toEvent(row) };
      },

      async ackEvent(req, ctx) {
        const row = await store.ack(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw new NotFound("event");
        return { event: toEvent(row) };
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
