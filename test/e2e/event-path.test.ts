// The whole path of events through the running stack, over HTTP, as the README shows it.
import test from "ava";
import { Webhook } from "standardwebhooks";
import { apiClient, wholeInbox } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { newKey } from "../helpers/routes.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  // Successful deliveries are logged at debug level: the tests follow request ids into those lines.
  stack = await startStack({ env: { LOG_LEVEL: "debug" } });
});

test.after.always(async () => {
  await stack?.stop();
});

// Answers 204, as many webhook endpoints do: any 2xx is a success.
const receiver = () => startReceiver((_req, res) => res.writeHead(204).end());

test("event path - a posted event is in the inbox, can be read and acked, and leaves the inbox", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const posted = await api.post("/v1/events", { type: "order.created", data: { order_id: 42 }, source: "shop" });
  t.is(posted.status, 200);
  t.is(posted.body.status, "EVENT_STATUS_ACCEPTED");
  t.truthy(posted.body.received_at);

  const listed = await eventually(async () => (await wholeInbox(api)).find((e) => e.id === posted.body.id), "the event in the inbox");
  t.like(listed, { type: "order.created", data: { order_id: 42 } });

  const read = await api.get(`/v1/events/${posted.body.id}`);
  t.is(read.status, 200);
  t.like(read.body.event, { id: posted.body.id, source: "shop", received_at: posted.body.received_at });
  t.is(read.body.event.acked_at, undefined);

  const acked = await api.post(`/v1/events/${posted.body.id}/ack`);
  t.is(acked.status, 200);
  t.truthy(acked.body.acked_at);
  t.false((await wholeInbox(api)).some((e) => e.id === posted.body.id));
  const again = await api.post(`/v1/events/${posted.body.id}/ack`);
  t.is(again.body.acked_at, acked.body.acked_at);
});

test("event path - a bulk ack acknowledges the org's own events, and counts those acknowledged before and the unknown", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const stranger = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await api.post("/v1/events", { type: "tick", data: { i } })).body.id);
  const foreign = (await stranger.post("/v1/events", { type: "tick", data: {} })).body.id;
  await eventually(async () => ((await wholeInbox(api)).length === 3 ? true : undefined), "three events");
  await eventually(async () => ((await wholeInbox(stranger)).length === 1 ? true : undefined), "the stranger's event");
  t.is((await api.post(`/v1/events/${ids[0]}/ack`)).status, 200);

  const never = "01a2a2a2-0000-7000-8000-000000000000";
  const bulk = await api.post("/v1/inbox/ack", { ids: [...ids, ids[1], foreign, never] });
  t.is(bulk.status, 200);
  t.deepEqual(bulk.body, { acked: 2, already_acked: 1, unknown_ids: [never, foreign].sort() });
  t.deepEqual(await wholeInbox(api), []);
  t.is((await wholeInbox(stranger)).length, 1, "another org's event is untouched");
  const again = await api.post("/v1/inbox/ack", { ids });
  t.deepEqual(again.body, { acked: 0, already_acked: 3, unknown_ids: [] });
  t.is((await api.post("/v1/inbox/ack", { ids: ["x"] })).status, 400);
  t.is((await apiClient(stack.gatewayUrl).post("/v1/inbox/ack", { ids })).status, 401);
});

test("event path - the inbox pages oldest first with an opaque cursor", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await api.post("/v1/events", { type: "tick", data: { i } })).body.id);
  await eventually(async () => ((await wholeInbox(api)).length === 5 ? true : undefined), "five events");
  const first = await api.get("/v1/inbox?limit=2");
  t.deepEqual(
    first.body.events.map((e: { id: string }) => e.id),
    ids.slice(0, 2),
  );
  const second = await api.get(`/v1/inbox?limit=2&cursor=${first.body.next_cursor}`);
  t.deepEqual(
    second.body.events.map((e: { id: string }) => e.id),
    ids.slice(2, 4),
  );
  const last = await api.get(`/v1/inbox?limit=2&cursor=${second.body.next_cursor}`);
  t.deepEqual(
    last.body.events.map((e: { id: string }) => e.id),
    ids.slice(4),
  );
  t.true(second.body.has_more);
  t.false(last.body.has_more);
  const after = await api.get(`/v1/inbox?limit=2&cursor=${last.body.next_cursor}`);
  t.deepEqual(after.body, { events: [], next_cursor: "", has_more: false });
});

test("event path - a subscription receives the signed event and its delivery is recorded", async (t) => {
  const hook = await receiver();
  t.teardown(hook.close);
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const sub = await api.post("/v1/subscriptions", { url: hook.url, event_types: ["order.created"] });
  t.is(sub.status, 200);
  await api.post("/v1/events", { type: "order.cancelled", data: {} });
  const posted = await api.post("/v1/events", { type: "order.created", data: { order_id: 7 } }, { "x-request-id": "e2e-delivery-1" });

  const payloads = () => hook.requests.map((r) => ({ headers: r.headers, body: JSON.parse(r.body) }));
  const delivered = await eventually(async () => payloads().find((r) => r.body.id === posted.body.id), "the webhook call");
  t.like(delivered.body, { type: "order.created", data: { order_id: 7 } });
  t.is(delivered.headers["webhook-id"], posted.body.id);
  t.false(payloads().some((r) => r.body.type === "order.cancelled"));
  const raw = hook.requests.find((r) => r.headers["webhook-id"] === posted.body.id)!;
  t.notThrows(() => new Webhook(sub.body.secret).verify(raw.body, raw.headers as Record<string, string>));

  const [delivery] = await eventually(async () => {
    const reply = await api.get(`/v1/events/${posted.body.id}/deliveries`);
    return reply.body.deliveries?.[0]?.state === "DELIVERY_STATE_SUCCEEDED" ? reply.body.deliveries : undefined;
  }, "the delivery");
  t.like(delivery, { subscription_id: sub.body.id, event_id: posted.body.id });
  t.like(delivery.attempts[0], { number: 1, status: "ATTEMPT_STATUS_SUCCEEDED", response_status: 204 });
  const listed = await api.get(`/v1/subscriptions/${sub.body.id}/deliveries`);
  t.deepEqual(
    listed.body.deliveries.map((d: { id: string }) => d.id),
    [delivery.id],
  );
  t.true(
    stack.logs("delivery").some((line) => line.includes("e2e-delivery-1")),
    "the request id reaches delivery's logs",
  );
});

test("event path - PATCH changes only the subscription fields in its body, and refuses the rest", async (t) => {
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const sub = await api.post("/v1/subscriptions", { url: "https://example.com/a", event_types: ["order.*"], description: "shop" });
  const patched = await api.patch(`/v1/subscriptions/${sub.body.id}`, { event_types: ["user.created"], enabled: false });
  t.is(patched.status, 200);
  t.like(patched.body, { url: "https://example.com/a", description: "shop", event_types: ["user.created"] });
  t.like(patched.body, { state: "SUBSCRIPTION_STATE_DISABLED", state_reason: "disabled by the org" });
  t.is(patched.body.secret, undefined, "the secret is not shown again");
  for (const body of [{}, { secret: "whsec_mine" }, { url: "http://169.254.169.254/" }, { url: 7 }]) {
    const refused = await api.patch(`/v1/subscriptions/${sub.body.id}`, body);
    t.is(refused.status, 400, JSON.stringify(body));
  }
  const rotated = await api.post(`/v1/subscriptions/${sub.body.id}/rotate-secret`, {});
  t.regex(rotated.body.secret, /^whsec_/);
  t.not(rotated.body.secret, sub.body.secret);
});

test("event path - another org's events and subscriptions are not found", async (t) => {
  const owner = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const stranger = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  const sub = await owner.post("/v1/subscriptions", { url: "http://127.0.0.1:9/hook" });
  const posted = await owner.post("/v1/events", { type: "secret.thing", data: { x: 1 } });
  await eventually(async () => ((await owner.get(`/v1/events/${posted.body.id}`)).status === 200 ? true : undefined), "the event");

  t.is((await stranger.get(`/v1/events/${posted.body.id}`)).status, 404);
  t.is((await stranger.post(`/v1/events/${posted.body.id}/ack`)).status, 404);
  t.is((await stranger.get(`/v1/subscriptions/${sub.body.id}`)).status, 404);
  t.is((await stranger.delete(`/v1/subscriptions/${sub.body.id}`)).status, 404);
  t.is((await stranger.patch(`/v1/subscriptions/${sub.body.id}`, { url: "https://example.com/mine" })).status, 404);
  t.is((await stranger.post(`/v1/subscriptions/${sub.body.id}/rotate-secret`, {})).status, 404);
  t.is((await stranger.get(`/v1/subscriptions/${sub.body.id}/deliveries`)).status, 404);
  const [delivery] = await eventually(async () => (await owner.get(`/v1/events/${posted.body.id}/deliveries`)).body.deliveries);
  t.is((await stranger.post(`/v1/deliveries/${delivery.id}/retry`, {})).status, 404);
  t.deepEqual((await stranger.get(`/v1/events/${posted.body.id}/deliveries`)).body, { deliveries: [] });
  t.deepEqual(await wholeInbox(stranger), []);
  t.is((await owner.get(`/v1/events/${posted.body.id}`)).body.event.acked_at, undefined);
});

test("event path - rejected requests get a JSON error with a status and store nothing", async (t) => {
  const { key } = await stack.createOrg();
  const api = apiClient(stack.gatewayUrl, key);
  const cases = [
    { reply: await apiClient(stack.gatewayUrl).post("/v1/events", { type: "a" }), status: 401, code: "unauthenticated" },
    {
      reply: await apiClient(stack.gatewayUrl, newKey()).post("/v1/events", { type: "a" }),
      status: 401,
      code: "unauthenticated",
    },
    { reply: await api.post("/v1/events", "{not json"), status: 400, code: "invalid_argument" },
    { reply: await api.post("/v1/events", { type: "has space" }), status: 400, code: "invalid_argument" },
    { reply: await api.post("/v1/events", { type: "a", data: "not an object" }), status: 400, code: "invalid_argument" },
    { reply: await api.post("/v1/events", { type: "a", data: { blob: "x".repeat(300 * 1024) } }), status: 413 },
    { reply: await api.post("/v1/events", { type: "a", occurred_at: "yesterday" }), status: 400, code: "invalid_argument" },
    { reply: await api.get("/v1/events/not-a-uuid"), status: 400, code: "invalid_argument" },
    { reply: await api.get("/v1/inbox?limit=5000"), status: 400, code: "invalid_argument" },
    { reply: await apiClient(stack.gatewayUrl, key).post("/v1/orgs", { name: "x" }), status: 403, code: "permission_denied" },
  ];
  for (const { reply, status, code } of cases) {
    t.is(reply.status, status, JSON.stringify(reply.body));
    if (code) t.is(reply.body.code, code);
    t.is(typeof reply.body.message, "string");
    t.is(reply.body.request_id, reply.headers.get("x-request-id"));
  }
  const typed = await api.post("/v1/events", { type: "has space" });
  t.deepEqual(typed.body.details, [{ reason: "ERROR_REASON_INVALID_FIELD", field: "type" }]);
  // An event accepted after the rejected ones has passed through the stream after them: once it is in, they would be too.
  const marker = await api.post("/v1/events", { type: "marker" });
  const inbox = await eventually(async () => {
    const events = await wholeInbox(api);
    return events.some((e) => e.id === marker.body.id) ? events : undefined;
  }, "the marker event");
  t.deepEqual(
    inbox.map((e) => e.type),
    ["marker"],
  );
});

test("event path - PublishEvents answers per event, and each event keeps the request id it came with", async (t) => {
  const hook = await receiver();
  t.teardown(hook.close);
  const api = apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
  await api.post("/v1/subscriptions", { url: hook.url });
  const requestId = `e2e-batch-${Date.now()}`;
  const reply = await api.post("/triggers.v1.IngestService/PublishEvents", {
    events: [{ type: "batch.one" }, { type: "not valid" }, { type: "batch.two" }],
    request_ids: [`${requestId}-a`, `${requestId}-b`, `${requestId}-c`],
  });
  t.is(reply.status, 200);
  const [one, bad, two] = reply.body.results;
  t.truthy(one.accepted.id);
  t.like(bad.error, { code: "invalid_argument", info: { field: "events[1].type" } });
  t.truthy(two.accepted.id);
  for (const suffix of ["a", "c"]) {
    const id = `${requestId}-${suffix}`;
    await eventually(
      async () => (stack.logs("delivery").some((line) => line.includes(id)) ? true : undefined),
      `request id ${id} in delivery's log`,
    );
  }
  t.is(hook.requests.length, 2);
  const mismatched = await api.post("/triggers.v1.IngestService/PublishEvents", { events: [{ type: "x" }], request_ids: ["a", "b"] });
  t.is(mismatched.body.code, "invalid_argument");
});
