// The subscription RPCs over Connect JSON, against the real delivery and auth processes: create, read, change, rotate, delete, refuse.
import { fromBinary } from "@bufbuild/protobuf";
import test from "ava";
import { v7 as uuidv7 } from "uuid";
import { DeliveryService } from "../../../gen/triggers/v1/delivery_pb.js";
import { ErrorInfoSchema } from "../../../gen/triggers/v1/event_pb.js";
import { request } from "../../helpers/api-client.js";
import { eventually } from "../../helpers/eventually.js";
import { startReceiver } from "../../helpers/receiver.js";
import { newKey } from "../../helpers/routes.js";
import { type DeliveryStack, newEvent, publishEvent, startDeliveryStack } from "../helpers.js";

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
  description?: string;
  state: string;
  state_reason?: string;
  secret?: string;
  created_at: string;
  updated_at: string;
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

test("delivery - a subscription can be created, listed, read and deleted once; its secret is shown once", async (t) => {
  const { key } = await stack.createOrg();
  const created = await call(
    "CreateSubscription",
    { url: "https://example.com/hooks?x=1", event_types: ["order.*", "user.created"], description: "the shop" },
    key,
  );
  t.is(created.status, 200);
  const { secret, ...sub } = (created.body as { subscription: SubscriptionJson }).subscription;
  t.regex(sub.id, /^[0-9a-f-]{36}$/);
  t.like(sub, { url: "https://example.com/hooks?x=1", description: "the shop", state: "SUBSCRIPTION_STATE_ACTIVE" });
  t.deepEqual(sub.event_types, ["order.*", "user.created"]);
  t.true(Date.parse(sub.created_at) > 0);
  t.regex(secret ?? "", /^whsec_[A-Za-z0-9+/]{43}=$/, "32 random bytes in base64");

  const listed = await call("ListSubscriptions", {}, key);
  // Never shown again: reading it back has no secret.
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

test("delivery - a malformed id, a missing time or a bad page is refused naming its field", async (t) => {
  const { key } = await stack.createOrg();
  for (const [method, body, field] of [
    ["GetSubscription", { id: "not-a-uuid" }, "id"],
    ["DeleteSubscription", { id: "'; drop table x; --" }, "id"],
    ["GetSubscription", {}, "id"],
    ["ListAttempts", { event_id: "123" }, "event_id"],
    ["ListEventDeliveries", { event_id: "123" }, "event_id"],
    ["ListSubscriptionDeliveries", { subscription_id: "x" }, "subscription_id"],
    ["RetryDelivery", { id: "x" }, "id"],
    ["RotateSubscriptionSecret", { id: "x" }, "id"],
    ["UpdateSubscription", { id: "x", update_mask: "url" }, "id"],
    ["ReplaySubscription", { id: uuidv7() }, "since"],
    ["ListSubscriptionDeliveries", { subscription_id: uuidv7(), limit: 101 }, "limit"],
    ["ListSubscriptionDeliveries", { subscription_id: uuidv7(), cursor: "not-ours" }, "cursor"],
    ["ListSubscriptionDeliveries", { subscription_id: uuidv7(), state: 9 }, "state"],
  ] as const) {
    const res = await call(method, body, key);
    t.is(res.status, 400, method);
    t.is((res.body as ErrorJson).code, "invalid_argument", method);
    t.is(fieldOf(res.body as ErrorJson), field, method);
  }
});

test("delivery - a request without a key or with a wrong key is unauthenticated, whatever the RPC", async (t) => {
  for (const method of DeliveryService.methods) {
    const missing = await call(method.name, {});
    t.is(missing.status, 401, method.name);
    t.is((missing.body as ErrorJson).code, "unauthenticated", method.name);
  }
  const wrong = await call("CreateSubscription", { url: "https://example.com/" }, newKey());
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

async function createSubscription(
  key: string,
  body: Record<string, unknown> = { url: "https://example.com/hooks" },
): Promise<SubscriptionJson> {
  const res = await call("CreateSubscription", body, key);
  if (res.status !== 200) throw new Error(`CreateSubscription answered ${res.status}`);
  return (res.body as { subscription: SubscriptionJson }).subscription;
}

test("delivery - an update changes only the fields its mask names, and checks them as creation does", async (t) => {
  const { key } = await stack.createOrg();
  const sub = await createSubscription(key, { url: "https://example.com/a", event_types: ["order.*"], description: "first" });
  const res = await call(
    "UpdateSubscription",
    { id: sub.id, subscription: { url: "https://example.com/b", description: "ignored" }, update_mask: "url" },
    key,
  );
  t.is(res.status, 200);
  const updated = (res.body as { subscription: SubscriptionJson }).subscription;
  t.like(updated, { url: "https://example.com/b", description: "first", event_types: ["order.*"], secret: undefined });
  t.true(Date.parse(updated.updated_at) >= Date.parse(sub.updated_at));

  for (const [body, field] of [
    [{ id: sub.id, subscription: { url: "http://10.0.0.1/" }, update_mask: "url" }, "url"],
    [{ id: sub.id, subscription: { eventTypes: ["bad type"] }, update_mask: "eventTypes" }, "event_types"],
    [{ id: sub.id, subscription: { url: "https://example.com/c" } }, "update_mask"],
    [{ id: sub.id, subscription: {}, update_mask: "secret" }, "update_mask"],
  ] as const) {
    const refused = await call("UpdateSubscription", body, key);
    t.is(refused.status, 400, JSON.stringify(body));
    t.is(fieldOf(refused.body as ErrorJson), field);
  }
  const got = await call("GetSubscription", { id: sub.id }, key);
  t.is((got.body as { subscription: SubscriptionJson }).subscription.url, "https://example.com/b", "refused updates changed nothing");
});

test("delivery - disabling a subscription says why, and enabling it makes it active again", async (t) => {
  const { key } = await stack.createOrg();
  const sub = await createSubscription(key);
  const disable = { id: sub.id, subscription: { enabled: false }, update_mask: "enabled" };
  const disabled = (await call("UpdateSubscription", disable, key)).body as { subscription: SubscriptionJson };
  t.like(disabled.subscription, { state: "SUBSCRIPTION_STATE_DISABLED", state_reason: "disabled by the org" });
  const enable = { id: sub.id, subscription: { enabled: true }, update_mask: "enabled" };
  const enabled = (await call("UpdateSubscription", enable, key)).body as { subscription: SubscriptionJson };
  t.like(enabled.subscription, { state: "SUBSCRIPTION_STATE_ACTIVE", state_reason: "" });
});

test("delivery - rotating the secret shows a new one once; another org can neither rotate nor change the subscription", async (t) => {
  const owner = await stack.createOrg();
  const other = await stack.createOrg();
  const sub = await createSubscription(owner.key);
  const rotated = await call("RotateSubscriptionSecret", { id: sub.id }, owner.key);
  t.is(rotated.status, 200);
  const secret = (rotated.body as { subscription: SubscriptionJson }).subscription.secret;
  t.regex(secret ?? "", /^whsec_/);
  t.not(secret, sub.secret);
  t.is((await call("RotateSubscriptionSecret", { id: sub.id }, other.key)).status, 404);
  const change = { id: sub.id, subscription: { url: "https://example.com/theirs" }, update_mask: "url" };
  t.is((await call("UpdateSubscription", change, other.key)).status, 404);
  t.is((await call("ListSubscriptionDeliveries", { subscription_id: sub.id }, other.key)).status, 404);
  t.is((await call("ReplaySubscription", { id: sub.id, since: "2026-01-01T00:00:00Z" }, other.key)).status, 404);
  const got = (await call("GetSubscription", { id: sub.id }, owner.key)).body as { subscription: SubscriptionJson };
  t.is(got.subscription.url, sub.url);
});
