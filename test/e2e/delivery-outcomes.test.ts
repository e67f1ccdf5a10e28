// What deliveries tell the org through its inbox: each event's delivery status, and our operational events when deliveries fail.
import test from "ava";
import postgres from "postgres";
import { apiClient } from "../helpers/api-client.js";
import { eventually } from "../helpers/eventually.js";
import { startReceiver } from "../helpers/receiver.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;

test.before(async () => {
  // Three quick attempts per delivery; a subscription pauses after four failures in a row; the inbox purges every second.
  stack = await startStack({
    env: {
      DELIVERY_RETRY_SCHEDULE: "100ms,100ms",
      DELIVERY_POLL_INTERVAL_MS: "50",
      DELIVERY_PAUSE_AFTER_FAILURES: "4",
      INBOX_PURGE_INTERVAL_MS: "1000",
    },
  });
});

test.after.always(async () => {
  await stack?.stop();
});

async function newOrg() {
  return apiClient(stack.gatewayUrl, (await stack.createOrg()).key);
}

type Api = Awaited<ReturnType<typeof newOrg>>;

function statusOf(api: Api, eventId: string, expected: string) {
  return eventually(async () => {
    const { body } = await api.get(`/v1/events/${eventId}`);
    return body.event?.delivery_status === expected ? body.event : undefined;
  }, `${eventId} ${expected}`);
}

/** The org's operational event of this type, once it is in the inbox. */
function operationalEvent(api: Api, type: string) {
  return eventually(async () => {
    const { body } = await api.get("/v1/inbox?limit=100");
    return body.events.find((event: { type: string }) => event.type === type);
  }, type);
}

test("delivery outcomes - an event's status follows its deliveries: delivered, failed for good, delivered after a replay", async (t) => {
  const api = await newOrg();
  let failing = true;
  const healthy = await startReceiver();
  const flaky = await startReceiver((_req, res) => res.writeHead(failing ? 500 : 200).end());
  t.teardown(() => Promise.all([healthy.close(), flaky.close()]));
  await api.post("/v1/subscriptions", { url: healthy.url, event_types: ["order.*"] });
  const flakySub = await api.post("/v1/subscriptions", { url: flaky.url, event_types: ["order.paid"] });

  const created = await api.post("/v1/events", { type: "order.created", data: {} });
  await statusOf(api, created.body.id, "EVENT_DELIVERY_STATUS_DELIVERED");
  const paid = await api.post("/v1/events", { type: "order.paid", data: {} });
  await statusOf(api, paid.body.id, "EVENT_DELIVERY_STATUS_FAILED");
  const page = await api.get("/v1/inbox?limit=10");
  const orders = page.body.events.filter((e: { type: string }) => e.type.startsWith("order."));
  t.deepEqual(
    orders.map((e: { delivery_status?: string }) => e.delivery_status),
    ["EVENT_DELIVERY_STATUS_DELIVERED", "EVENT_DELIVERY_STATUS_FAILED"],
    "the inbox's pages show it too",
  );

  failing = false;
  const since = new Date(Date.now() - 60_000).toISOString();
  t.is((await api.post(`/v1/subscriptions/${flakySub.body.id}/replay`, { since })).body.replayed, 1);
  await statusOf(api, paid.body.id, "EVENT_DELIVERY_STATUS_DELIVERED");
});

test("delivery outcomes - an unsubscribed event has no delivery status", async (t) => {
  const api = await newOrg();
  const posted = await api.post("/v1/events", { type: "order.created", data: {} });
  const event = await eventually(async () => {
    const reply = await api.get(`/v1/events/${posted.body.id}`);
    return reply.status === 200 ? reply.body.event : undefined;
  });
  t.is(event.delivery_status, undefined);
});

test("delivery outcomes - exhausted attempts and a paused subscription put our own events in the org's inbox, not to that subscription", async (t) => {
  const api = await newOrg();
  const failing = await startReceiver((_req, res) => res.writeHead(500).end());
  const watcher = await startReceiver();
  t.teardown(() => Promise.all([failing.close(), watcher.close()]));
  const failingSub = await api.post("/v1/subscriptions", { url: failing.url });
  await api.post("/v1/subscriptions", { url: watcher.url, event_types: ["triggers.*"] });

  const first = await api.post("/v1/events", { type: "order.created", data: {} });
  const exhausted = await operationalEvent(api, "triggers.delivery.exhausted");
  t.like(exhausted, { source: "triggers", data: { event_id: first.body.id, subscription_id: failingSub.body.id, attempts: 3 } });
  t.is(exhausted.data.reason, "every attempt failed");
  // A fourth failure in a row pauses the subscription.
  await api.post("/v1/events", { type: "order.created", data: {} });
  const disabled = await operationalEvent(api, "triggers.subscription.disabled");
  t.like(disabled, { data: { subscription_id: failingSub.body.id, state: "paused", reason: "4 failed attempts in a row" } });

  await eventually(() => (watcher.requests.filter((r) => JSON.parse(r.body).type.startsWith("triggers.")).length >= 2 ? true : undefined));
  t.false(
    failing.requests.some((r) => JSON.parse(r.body).type.startsWith("triggers.")),
    "the failing subscription, which takes every type, is not sent news of its own failures",
  );
  const forged = await api.post("/v1/events", { type: "triggers.delivery.exhausted", data: {} });
  t.is(forged.status, 400);
});

test("delivery outcomes - when an event expires from the inbox, its deliveries and their attempts go with it", async (t) => {
  const api = await newOrg();
  const hook = await startReceiver();
  t.teardown(hook.close);
  t.is((await api.post("/v1/subscriptions", { url: hook.url })).status, 200);
  const { body: published } = await api.post("/v1/events", { type: "order.created" });
  await statusOf(api, published.id, "EVENT_DELIVERY_STATUS_DELIVERED");
  t.is((await api.get(`/v1/events/${published.id}/deliveries`)).body.deliveries.length, 1);

  // Received longer ago than the org keeps events (30 days unless it says).
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  await sql`update inbox.events set received_at = now() - interval '31 days' where id = ${published.id}`;
  await eventually(async () => ((await api.get(`/v1/events/${published.id}`)).status === 404 ? true : undefined), "the event purged");
  await eventually(async () => {
    const { body } = await api.get(`/v1/events/${published.id}/deliveries`);
    return body.deliveries?.length === 0 ? true : undefined;
  }, "its deliveries forgotten");
  t.deepEqual((await api.get(`/v1/events/${published.id}/attempts`)).body.attempts ?? [], []);
});
