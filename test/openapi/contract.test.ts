// The OpenAPI document against the running stack: every operation called for real, its answers, success and error, held to the document's schemas.
import test, { type ExecutionContext } from "ava";
import { type Reply, request } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { answerPointer, operation, operations, schemaErrors } from "./openapi-document.js";

let stack: Stack;
let receiver: Receiver;

test.before(async () => {
  [stack, receiver] = await Promise.all([startStack(), startReceiver()]);
});

test.after.always(async () => {
  await Promise.all([stack?.stop(), receiver?.close()]);
});

interface OperationCall {
  path?: Record<string, string>;
  query?: string;
  body?: unknown;
  key?: string;
  headers?: Record<string, string>;
}

const unknownId = "0193a5e4-0000-7000-8000-000000000000";

/** Calls an operation at the path its template gives, and checks the answer's status and body against the document. */
function contract(t: ExecutionContext, adminToken: string) {
  const answered = new Map<string, Set<"success" | "error">>();
  const call = async (id: string, expected: number, options: OperationCall = {}): Promise<Reply> => {
    const op = operation(id);
    const path = op.template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.path?.[name] ?? ""));
    const reply = await request(stack.gatewayUrl, `${path}${options.query ? `?${options.query}` : ""}`, {
      method: op.verb,
      key: options.key ?? adminToken,
      body: options.body,
      headers: options.headers,
    });
    t.is(reply.status, expected, `${id} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    t.truthy(op.spec.responses[String(reply.status)], `${id} documents its ${reply.status}`);
    t.deepEqual(
      await schemaErrors(answerPointer(op, reply.status), reply.body),
      [],
      `${id} ${reply.status}: ${JSON.stringify(reply.body)}`,
    );
    t.truthy(reply.headers.get("x-request-id"), `${id} answers with its request id`);
    const outcomes = answered.get(id) ?? new Set();
    answered.set(id, outcomes.add(reply.status === 200 ? "success" : "error"));
    return reply;
  };
  return { call, answered };
}

test("openapi contract - every operation's answers, success and error, hold to the document", async (t) => {
  const { call, answered } = contract(t, stack.adminToken);

  // Orgs and keys.
  await call("createOrg", 403, { key: "", body: { name: "acme" } });
  await call("createOrg", 400, { body: { plan: "pro" } });
  const created = (await call("createOrg", 200, { body: { name: "acme", plan: "pro" } })).body;
  const key = created.api_key.secret as string;
  const orgId = created.org.id as string;
  await call("updateOrg", 200, { path: { id: orgId }, body: { plan: "custom", events_per_minute: 10_000_000 } });
  await call("updateOrg", 404, { path: { id: unknownId }, body: { plan: "pro" } });
  await call("createKey", 400, { key, body: { name: "none", scopes: [] } });
  const reader = (await call("createKey", 200, { key, body: { name: "reader", scopes: ["events:read"] } })).body.api_key;
  await call("listKeys", 403, { key: reader.secret });
  await call("listKeys", 200, { key });
  await call("whoAmI", 200, { key: reader.secret });
  await call("whoAmI", 401, { key: "tk_live_nope" });
  await call("rotateKey", 404, { key, path: { id: "AAAAAAAAAAAA" }, body: {} });
  const rotated = (await call("rotateKey", 200, { key, path: { id: reader.id }, body: { grace_period_seconds: 0 } })).body.api_key;
  await call("revokeKey", 200, { key, path: { id: rotated.id } });
  await call("revokeKey", 404, { key, path: { id: rotated.id } });
  await call("listAuditEntries", 200, { key });
  await call("listAuditEntries", 400, { key, query: "limit=1000" });

  // Publishing.
  const event = { type: "order.created", source: "shop", data: { order_id: "o_1" } };
  const published = (await call("publishEvent", 200, { key, body: event, headers: { "idempotency-key": "order-1" } })).body;
  await call("publishEvent", 422, { key, body: { ...event, data: { order_id: "o_2" } }, headers: { "idempotency-key": "order-1" } });
  await call("publishEvent", 400, { key, body: { data: {} } });
  await call("publishEvent", 415, { key, body: "type=order.created", headers: { "content-type": "text/plain" } });
  await call("publishEvent", 413, { key, body: { type: "big", data: { blob: "x".repeat(1_100_000) } } });
  await call("publishEvent", 401, { key: "tk_live_nope", body: event });
  await call("publishEvents", 200, { key, body: { events: [{ type: "order.paid" }, { type: "" }] } });
  await call("publishEvents", 400, { key, body: { events: [] } });

  // The inbox.
  await eventually(async () => ((await call("listInbox", 200, { key })).body.events.length >= 2 ? true : undefined), "the events");
  await call("listInbox", 400, { key, query: "limit=5000" });
  await call("listEventTypes", 200, { key, query: "limit=1" });
  await call("listEventTypes", 400, { key, query: "cursor=nope" });
  // A stream with until ends once it has passed, with its events as Server-Sent Events.
  const until = new Date(Date.now() + 1000).toISOString();
  const streamed = await call("watchEvents", 200, { key, query: `since=2020-01-01T00:00:00Z&until=${until}` });
  t.regex(streamed.body, /^retry: \d+\n(.|\n)*\nevent: end\n/);
  await call("watchEvents", 400, { key, query: "status=archived" });
  await call("getEvent", 200, { key, path: { id: published.id } });
  await call("getEvent", 404, { key, path: { id: unknownId } });
  await call("ackEvent", 200, { key, path: { id: published.id } });
  await call("ackEvent", 404, { key, path: { id: unknownId } });
  await call("ackEvents", 200, { key, body: { ids: [published.id, unknownId] } });
  await call("ackEvents", 400, { key, body: { ids: [] } });
  await call("getInboxSettings", 200, { key });
  await call("getInboxSettings", 401, { key: "" });
  await call("updateInboxSettings", 200, { key, body: { retention_days: 30 } });
  await call("updateInboxSettings", 400, { key, body: { retention_days: 1 } });

  // Subscriptions and their deliveries.
  await call("createSubscription", 400, { key, body: { url: "ftp://example.com" } });
  const subscription = (await call("createSubscription", 200, { key, body: { url: receiver.url, event_types: ["order.*"] } })).body;
  await call("listSubscriptions", 200, { key });
  await call("listSubscriptions", 401, { key: "" });
  await call("getSubscription", 200, { key, path: { id: subscription.id } });
  await call("getSubscription", 404, { key, path: { id: unknownId } });
  await call("updateSubscription", 200, { key, path: { id: subscription.id }, body: { description: "orders" } });
  await call("updateSubscription", 404, { key, path: { id: unknownId }, body: { description: "orders" } });
  await call("rotateSubscriptionSecret", 200, { key, path: { id: subscription.id }, body: {} });
  await call("rotateSubscriptionSecret", 404, { key, path: { id: unknownId }, body: {} });
  const delivered = (await call("publishEvent", 200, { key, body: event })).body;
  const deliveries = await eventually(async () => {
    const reply = await call("listEventDeliveries", 200, { key, path: { event_id: delivered.id } });
    return reply.body.deliveries.some((delivery: { state: string }) => delivery.state === "DELIVERY_STATE_SUCCEEDED")
      ? reply.body.deliveries
      : undefined;
  }, "the delivery");
  await call("listEventDeliveries", 401, { key: "", path: { event_id: delivered.id } });
  await call("listSubscriptionDeliveries", 200, { key, path: { subscription_id: subscription.id } });
  await call("listSubscriptionDeliveries", 404, { key, path: { subscription_id: unknownId } });
  await call("listAttempts", 200, { key, path: { event_id: delivered.id } });
  await call("listAttempts", 401, { key: "", path: { event_id: delivered.id } });
  await call("retryDelivery", 200, { key, path: { id: deliveries[0].id }, body: {} });
  await call("retryDelivery", 404, { key, path: { id: unknownId }, body: {} });
  await call("replaySubscription", 200, { key, path: { id: subscription.id }, body: { since: "2026-01-01T00:00:00Z" } });
  await call("replaySubscription", 400, { key, path: { id: subscription.id }, body: {} });

  // Deleting.
  await call("deleteEvent", 200, { key, path: { id: delivered.id } });
  await call("deleteEvent", 404, { key, path: { id: delivered.id } });
  await call("deleteSubscription", 200, { key, path: { id: subscription.id } });
  await call("deleteSubscription", 404, { key, path: { id: subscription.id } });

  const untested = operations.filter((op) => answered.get(op.id)?.size !== 2).map((op) => op.id);
  t.deepEqual(untested, [], "operations not called both to success and to an error");
});
