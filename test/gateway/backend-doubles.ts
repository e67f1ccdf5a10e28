// Stand-ins for the ingest, inbox and delivery services: real Connect servers over real sockets that record each call.
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { ErrorReason } from "../../gen/triggers/v1/event_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import {
  EventStatus,
  IngestService,
  PublishEventResponseSchema,
  PublishEventsErrorSchema,
  type PublishEventsResult,
} from "../../gen/triggers/v1/ingest_pb.js";
import { NotFound, TooLarge } from "../../services/shared/domain-errors.js";
import { connectErrorOf } from "../../services/shared/errors.js";
import { createLogger } from "../../services/shared/logger.js";
import { createMetrics } from "../../services/shared/metrics.js";
import { type RunningServer, startServer } from "../../services/shared/server.js";

export interface RecordedCall {
  method: string;
  authorization: string | null;
  apiKeyHeader: string | null;
  requestId: string | null;
  request: unknown;
}

/** An event id the inbox double does not know. */
export const MISSING_ID = "missing";
/** An event id the inbox double never answers for, until the caller gives up. */
export const HANGING_ID = "hanging";
/** An event type the ingest double refuses as too large, the way ingest refuses oversized data. */
export const TOO_LARGE_TYPE = "too.large";
/** An event type whose batch the ingest double answers only after a second, so that later publishes queue behind it. */
export const SLOW_TYPE = "slow.batch";

export interface BackendDoubles {
  url: string;
  calls: RecordedCall[];
  /** The calls that carried the given request id. */
  callsOf(requestId: string): RecordedCall[];
  close(): Promise<void>;
}

export async function startBackendDoubles(): Promise<BackendDoubles> {
  const calls: RecordedCall[] = [];
  const record = (method: string, request: unknown, ctx: HandlerContext) =>
    calls.push({
      method,
      authorization: ctx.requestHeader.get("authorization"),
      apiKeyHeader: ctx.requestHeader.get("x-api-key"),
      requestId: ctx.requestHeader.get("x-request-id"),
      request,
    });
  const server: RunningServer = await startServer({
    host: "127.0.0.1",
    port: 0,
    adminPort: 0,
    maxConnectionAgeMs: 300_000,
    logger: createLogger("doubles", "silent"),
    metrics: createMetrics("doubles"),
    services: [IngestService, InboxService, DeliveryService],
    routes: (router) => {
      ingestDouble(router, record);
      inboxDouble(router, record);
      deliveryDouble(router, record);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    calls,
    callsOf: (requestId) => calls.filter((call) => call.requestId === requestId),
    close: () => server.close(0),
  };
}

type Record = (method: string, request: unknown, ctx: HandlerContext) => void;

function event(id: string) {
  return { id, type: "order.created", source: "shop", data: { order: 7 }, receivedAt: timestampNow() };
}

function ingestDouble(router: ConnectRouter, record: Record) {
  router.service(IngestService, {
    publishEvent(req, ctx) {
      record("PublishEvent", req, ctx);
      if (req.event?.type === TOO_LARGE_TYPE) throw connectErrorOf(new TooLarge("data", "data is larger than 256 KiB"));
      return { id: "ev-new", receivedAt: timestampNow(), status: EventStatus.ACCEPTED };
    },
    // As ingest does: one result per event, errors naming fields within the batch.
    async publishEvents(req, ctx) {
      record("PublishEvents", req, ctx);
      // Slow enough that publishes arriving together queue behind the first calls, as they do under load.
      const slow = req.events.some((input) => input.type === SLOW_TYPE);
      await new Promise((resolve) => setTimeout(resolve, slow ? 1_000 : 50));
      const results = req.events.map((input, i): PublishEventsResult["result"] =>
        input.type === TOO_LARGE_TYPE
          ? {
              case: "error",
              value: create(PublishEventsErrorSchema, {
                code: "resource_exhausted",
                message: "data is larger than 256 KiB",
                info: { reason: ErrorReason.TOO_LARGE, field: `events[${i}].data` },
              }),
            }
          : {
              case: "accepted",
              value: create(PublishEventResponseSchema, { id: "ev-new", receivedAt: timestampNow(), status: EventStatus.ACCEPTED }),
            },
      );
      return { results: results.map((result) => ({ result })) };
    },
  });
}

function inboxDouble(router: ConnectRouter, record: Record) {
  router.service(InboxService, {
    listInbox(req, ctx) {
      record("ListInbox", req, ctx);
      return { events: [event("ev-1")], nextCursor: "cursor-2" };
    },
    async getEvent(req, ctx) {
      record("GetEvent", req, ctx);
      if (req.id === MISSING_ID) throw connectErrorOf(new NotFound("event"));
      if (req.id === HANGING_ID) await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      return { event: event(req.id) };
    },
    ackEvent(req, ctx) {
      record("AckEvent", req, ctx);
      return { event: { ...event(req.id), ackedAt: timestampNow() } };
    },
  });
}

function deliveryDouble(router: ConnectRouter, record: Record) {
  const subscription = (id: string, url = "https://example.test/hook", eventTypes: string[] = []) => ({
    id,
    url,
    eventTypes,
    createdAt: timestampNow(),
  });
  router.service(DeliveryService, {
    createSubscription(req, ctx) {
      record("CreateSubscription", req, ctx);
      return { subscription: subscription("sub-1", req.url, req.eventTypes) };
    },
    listSubscriptions(req, ctx) {
      record("ListSubscriptions", req, ctx);
      return { subscriptions: [subscription("sub-1")] };
    },
    getSubscription(req, ctx) {
      record("GetSubscription", req, ctx);
      return { subscription: subscription(req.id) };
    },
    deleteSubscription(req, ctx) {
      record("DeleteSubscription", req, ctx);
      return {};
    },
    listAttempts(req, ctx) {
      record("ListAttempts", req, ctx);
      return { attempts: [] };
    },
  });
}
