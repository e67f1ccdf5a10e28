// Stand-ins for the inbox and delivery services, which the gateway forwards to: real Connect servers over real sockets that record each call.
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { DeliveryService } from "../../gen/triggers/v1/delivery_pb.js";
import { InboxService } from "../../gen/triggers/v1/inbox_pb.js";
import { NotFound } from "../../services/shared/domain-errors.js";
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
    services: [InboxService, DeliveryService],
    routes: (router) => {
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
