// The subscription RPCs over Connect JSON, against the real delivery and auth processes.
import { fromBinary } from "@bufbuild/protobuf";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { ErrorInfoSchema } from "../../gen/triggers/v1/event_pb.js";
import { request } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { type DeliveryStack, newEvent, publishEvent, startDeliveryStack } from "./helpers.js";

let stack: DeliveryStack;

test.before(async () => {
  stack = await startDeliveryStack();
});

test.after.always(async () => {
  await stack?.stop();
});

const call = (method: string, body: unknown, key?: string) =>
  request(stack.delivery.url, `/triggers.v1.DeliveryService/${method}`, { body, key });

interface SubscriptionJson {
  id: string;
  url: string;
  event_types?: string[];
  created_at: string;
}

interface ErrorJson {
  code: string;
  message: string;
  details?: { type: string; value: string }[];
}

function fieldOf(error: ErrorJson): string | undefined {
  const detail = error.details?.find((candidate) => candidate.type === "triggers.v1.ErrorInfo");
  return detail && fromBinary(ErrorInfoSchema, Buffer.from(detail.value, "base64")).field;
}

test("delivery - a subscription can be created, listed, read and deleted once", async (t) => {
  const { key } = await stack.createOrg();
  const created = await call(
    "CreateSubscription",
    { url: "https://example.com/hooks?x=1", event_types: ["order.created", "order.paid"] },
    key,
  );
  t.is(created.status, 200);
  const sub = (created.body as { subscription: SubscriptionJson }).subscription;
  t.regex(sub.id, /^[0-9a-f-]{36}$/);
  t.is(sub.url, "https://example.com/hooks?x=1");
  t.deepEqual(sub.event_types, ["order.created", "order.paid"]);
  t.true(Date.parse(sub.created_at) > 0);

  const listed = await call("ListSubscriptions", {}, key);
  t.deepEqual((listed.body as { subscriptions: SubscriptionJson[] }).subscriptions, [sub]);
  const got = await call("GetSubscription", { id: sub.id }, key);
  t.deepEqual((got.body as { subscription: SubscriptionJson }).subscription, sub);

  const deleted = await call("DeleteSubscription", { id: sub.id }, key);
  t.is(deleted.status, 200);
  t.deepEqual(deleted.body, {});
  t.is((await call("GetSubscription", { id: sub.id }, key)).status, 404);
  t.deepEqual((await call("ListSubscriptions", {}, key)).body, { subscriptions: [] });
  const again = await call("DeleteSubscription", { id: sub.id }, key);
  t.is(again.status, 404);
  t.is((again.body as ErrorJson).code, "not_found");
});

test("delivery - a subscription without event types receives every type", async (t) => {
  const { orgId, key } = await stack.createOrg();
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  const created = await call("CreateSubscription", { url: receiver.url }, key);
  t.is(created.status, 200);
  t.deepEqual((created.body as { subscription: SubscriptionJson }).subscription.event_types, []);
  const events = [newEvent("order.created"), newEvent("invoice.paid"), newEvent("user.deleted")];
  for (const event of events) await publishEvent(stack.js, orgId, event);
  const received = await eventually(() => (receiver.requests.length >= events.length ? receiver.requests : undefined));
  t.deepEqual(received.map((req) => req.headers["webhook-id"]).sort(), events.map((event) => event.id).sort());
});

const invalidSubscriptions: [name: string, request: Record<string, unknown>, field: string][] = [
  ["a missing url", { url: "" }, "url"],
  ["a relative url", { url: "/hooks" }, "url"],
  ["a url that is not http", { url: "ftp://example.com/hooks" }, "url"],
  ["a url with credentials", { url: "https://user:pass@example.com/hooks" }, "url"],
  ["a url longer than 2048 characters", { url: `https://example.com/${"a".repeat(2048)}` }, "url"],
  ["an event type with a space", { url: "https://example.com/", event_types: ["order created"] }, "event_types"],
  ["an empty event type", { url: "https://example.com/", event_types: [""] }, "event_types"],
  ["an event type longer than 128 characters", { url: "https://example.com/", event_types: ["a".repeat(129)] }, "event_types"],
  [
    "more than 100 event types",
    { url: "https://example.com/", event_types: Array.from({ length: 101 }, (_, i) => `t${i}`) },
    "event_types",
  ],
];

for (const [name, request, field] of invalidSubscriptions) {
  test(`delivery - a subscription with ${name} is refused naming ${field}, and nothing is stored`, async (t) => {
    const { key } = await stack.createOrg();
    const res = await call("CreateSubscription", request, key);
    t.is(res.status, 400);
    t.is((res.body as ErrorJson).code, "invalid_argument");
    t.is(fieldOf(res.body as ErrorJson), field);
    t.deepEqual((await call("ListSubscriptions", {}, key)).body, { subscriptions: [] });
  });
}

test("delivery - a malformed id is refused naming its field", async (t) => {
  const { key } = await stack.createOrg();
  for (const [method, body, field] of [
    ["GetSubscription", { id: "not-a-uuid" }, "id"],
    ["DeleteSubscription", { id: "'; drop table x; --" }, "id"],
    ["GetSubscription", {}, "id"],
    ["ListAttempts", { event_id: "123" }, "event_id"],
  ] as const) {
    const res = await call(method, body, key);
    t.is(res.status, 400, method);
    t.is((res.body as ErrorJson).code, "invalid_argument", method);
    t.is(fieldOf(res.body as ErrorJson), field, method);
  }
});

test("delivery - a request without a key or with a wrong key is unauthenticated", async (t) => {
  const missing = await call("ListSubscriptions", {});
  t.is(missing.status, 401);
  t.is((missing.body as ErrorJson).code, "unauthenticated");
  const wrong = await call("CreateSubscription", { url: "https://example.com/" }, "tk_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
  t.is(wrong.status, 401);
  t.is((wrong.body as ErrorJson).code, "unauthenticated");
});

test("delivery - another org's subscription is not found and not listed", async (t) => {
  const owner = await stack.createOrg();
  const other = await stack.createOrg();
  const created = await call("CreateSubscription", { url: "https://example.com/owner" }, owner.key);
  const sub = (created.body as { subscription: SubscriptionJson }).subscription;

  const got = await call("GetSubscription", { id: sub.id }, other.key);
  t.is(got.status, 404);
  t.is((got.body as ErrorJson).code, "not_found");
  const deleted = await call("DeleteSubscription", { id: sub.id }, other.key);
  t.is(deleted.status, 404);
  t.is((deleted.body as ErrorJson).code, "not_found");
  t.deepEqual((await call("ListSubscriptions", {}, other.key)).body, { subscriptions: [] });

  t.is((await call("GetSubscription", { id: sub.id }, owner.key)).status, 200);
});

test("delivery - an unknown subscription id is not found", async (t) => {
  const { key } = await stack.createOrg();
  const res = await call("GetSubscription", { id: uuidv7() }, key);
  t.is(res.status, 404);
  t.is((res.body as ErrorJson).code, "not_found");
});
