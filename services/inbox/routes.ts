// The inbox's RPCs: list an org's pending events a page at a time, read one, acknowledge one.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { EventSchema, type Event } from "../../gen/triggers/v1/event_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { callerOf } from "../shared/authenticate.js";
import { invalidField, notFound } from "../shared/errors.js";
import { requireUuid } from "../shared/ids.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import type { EventRow, EventStore } from "./store.js";

const defaultLimit = 100;
const maxLimit = 1000;

export function inboxRoutes(store: EventStore) {
  return (router: ConnectRouter) =>
    router.service(InboxService, {
      async listInbox(req, ctx) {
        if (req.limit < 0 || req.limit > maxLimit) throw invalidField("limit", `limit must be from 1 to ${maxLimit}`);
        const limit = req.limit || defaultLimit;
        // One row more than asked tells whether another page exists without a second query.
        const rows = await store.pending(callerOf(ctx).orgId, decodeCursor(req.cursor), limit + 1);
        const page = rows.slice(0, limit);
        return {
          events: page.map(toEvent),
          nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : "",
        };
      },

      async getEvent(req, ctx) {
        const row = await store.find(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw notFound("event");
        return { event: toEvent(row) };
      },

      async ackEvent(req, ctx) {
        const row = await store.ack(callerOf(ctx).orgId, requireUuid(req.id, "id"));
        if (!row) throw notFound("event");
        return { event: toEvent(row) };
      },
    });
}

function toEvent(row: EventRow): Event {
  return create(EventSchema, {
    id: row.id,
    type: row.type,
    source: row.source,
    data: row.data as Event["data"],
    occurredAt: timestampFromDate(row.occurred_at),
    receivedAt: timestampFromDate(row.received_at),
    ackedAt: row.acked_at ? timestampFromDate(row.acked_at) : undefined,
  });
}
